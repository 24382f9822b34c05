# Cross-build the ptilab program for arm64 guests with Debian's cross
# compiler and the arm64 (multiarch) libraries scripts/deps installs:
#   cmake -S userspace -B build/userspace-arm64 \
#     -DCMAKE_TOOLCHAIN_FILE=userspace/cmake/aarch64-linux-gnu.cmake
# Unit tests are not built (they run on the build host).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# Multiarch: arm64 libraries and their CMake files live under
# /usr/lib/aarch64-linux-gnu; headers in /usr/include are shared.
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
# pkg-config (libbpf) must describe the arm64 libraries, not the host's.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
