# lib.sh - helpers shared by ptilab's scripts (sourced, not run).
#
# Keeps the cache layout, messages and the arch/series vocabulary in one
# place so scripts/kernel, scripts/vm and scripts/vm-bench agree on them.

PTILAB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PTILAB_CACHE=${PTILAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ptilab}

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

warn() {
	echo "${0##*/}: warning: $*" >&2
}

# Debian's name for an architecture: x86_64 -> amd64, arm64 -> arm64.
deb_arch() {
	case $1 in
	x86_64|amd64) echo amd64 ;;
	arm64|aarch64) echo arm64 ;;
	*) return 1 ;;
	esac
}
