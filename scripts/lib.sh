# shellcheck shell=bash
# lib.sh - helpers shared by ptilab's scripts (sourced, not run).
#
# Keeps the cache layout, messages, usage, the arch/series vocabulary and
# the end of a benchmark run in one place, so that the scripts agree on them.

# shellcheck disable=SC2034  # for the scripts that source this file
PTILAB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Installed by the ptilab package, the scripts live in
# /usr/share/ptilab/scripts with no source tree around them: the program is
# the installed one, the module the one DKMS built (scripts/bench).
PTILAB_INSTALLED=0
[ -f "$PTILAB_TOP/Makefile" ] || PTILAB_INSTALLED=1
PTILAB_CACHE=${PTILAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ptilab}

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

warn() {
	echo "${0##*/}: warning: $*" >&2
}

# usage [STATUS]: the script's header comment, from its third line to the
# first line that is not a comment, without the "# ", to stderr; exits
# STATUS (default 2). The usage is the header, so the two cannot drift.
# Run through the package's wrapper (PTILAB_AS=ptilab-bench), the usage
# names the command as installed.
usage() {
	awk -v self="scripts/${0##*/}" -v as="${PTILAB_AS:-}" \
		'NR >= 3 { if (!/^#/) exit; sub(/^# ?/, ""); if (as != "") gsub(self, as); print }' "$0" >&2
	exit "${1:-2}"
}

# finish_run PTILAB TMP RESULTS RUN_ID CSV...: the end of a benchmark run
# (scripts/bench, scripts/vm-bench), assembled in TMP: merge the parts into
# TMP/results.csv, print the table and keep it, rename TMP into place as
# RESULTS/RUN_ID, point RESULTS/latest at it. A failure before the rename
# leaves no run directory.
finish_run() {
	local ptilab=$1 tmp=$2 results=$3 run_id=$4
	shift 4
	"$ptilab" merge -o "$tmp/results.csv" "$@" || die "ptilab merge failed (no results were written)"
	"$ptilab" table "$tmp/results.csv" | tee "$tmp/table.txt"
	mv "$tmp" "$results/$run_id"
	ln -sfn "$run_id" "$results/latest"
	echo "${0##*/}: wrote $results/$run_id/results.csv"
}

# write_report PTILAB RUN_DIR: the run's dashboard. The run is complete
# and in place by then, so a report that fails loses nothing.
write_report() {
	"$PTILAB_TOP/scripts/report" --ptilab "$1" "$2" ||
		warn "no report (the run is complete in $2); retry: scripts/report $2"
}

# Debian's name for an architecture: x86_64 -> amd64, arm64 -> arm64.
deb_arch() {
	case $1 in
	x86_64|amd64) echo amd64 ;;
	arm64|aarch64) echo arm64 ;;
	*) return 1 ;;
	esac
}
