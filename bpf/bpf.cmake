# Build of the eBPF programs (included from userspace/CMakeLists.txt):
# bpf/<name>.bpf.c --clang -target bpf--> <name>.bpf.o --bpftool gen skeleton-->
# <name>.skel.h, which the C++ loader includes; the object is embedded in it.
#
# vmlinux.h is committed per architecture (bpf/vmlinux/<arch>/, see the
# README there) rather than generated from the build machine's kernel: the
# build does not depend on what kernel it runs on, and CO-RE relocates field
# offsets to the running kernel at load time anyway.
find_program(PTILAB_CLANG NAMES clang clang-14 REQUIRED)
find_program(PTILAB_LLVM_STRIP NAMES llvm-strip llvm-strip-14 REQUIRED)
find_program(PTILAB_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)

set(PTILAB_BPF_DIR ${CMAKE_CURRENT_LIST_DIR})
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|amd64|AMD64)$")
  set(PTILAB_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(PTILAB_BPF_ARCH arm64)
else()
  message(FATAL_ERROR "ptilab trace: no BPF build for ${CMAKE_SYSTEM_PROCESSOR}")
endif()
set(PTILAB_VMLINUX_DIR ${PTILAB_BPF_DIR}/vmlinux/${PTILAB_BPF_ARCH} CACHE PATH
    "directory holding vmlinux.h for the BPF programs")
if(NOT EXISTS ${PTILAB_VMLINUX_DIR}/vmlinux.h)
  message(FATAL_ERROR "no ${PTILAB_VMLINUX_DIR}/vmlinux.h: generate one with "
          "`bpftool btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h` (see bpf/vmlinux/x86/README.md)")
endif()

set(PTILAB_BPF_OUT ${CMAKE_CURRENT_BINARY_DIR}/bpf)
file(MAKE_DIRECTORY ${PTILAB_BPF_OUT})

# ptilab_bpf_skeleton(NAME): bpf/NAME.bpf.c -> ${PTILAB_BPF_OUT}/NAME.skel.h
function(ptilab_bpf_skeleton name)
  set(obj ${PTILAB_BPF_OUT}/${name}.bpf.o)
  set(skel ${PTILAB_BPF_OUT}/${name}.skel.h)
  file(GLOB headers ${PTILAB_BPF_DIR}/*.h)
  add_custom_command(
    OUTPUT ${skel}
    # -g: BTF for CO-RE; strip drops the DWARF but keeps .BTF.
    COMMAND ${PTILAB_CLANG} -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_${PTILAB_BPF_ARCH}
            -I${PTILAB_BPF_DIR} -I${PTILAB_VMLINUX_DIR}
            -c ${PTILAB_BPF_DIR}/${name}.bpf.c -o ${obj}
    COMMAND ${PTILAB_LLVM_STRIP} -g ${obj}
    COMMAND sh -c "'${PTILAB_BPFTOOL}' gen skeleton '${obj}' name ${name}_bpf > '${skel}.tmp' && mv '${skel}.tmp' '${skel}'"
    DEPENDS ${PTILAB_BPF_DIR}/${name}.bpf.c ${headers} ${PTILAB_VMLINUX_DIR}/vmlinux.h
    COMMENT "BPF skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_bpf_skeleton DEPENDS ${skel})
endfunction()

ptilab_bpf_skeleton(trace)
