# ATTN_STATIC_LLVM: self-contained binaries for GPU machines without LLVM
# (DESIGN §7). MLIR is linked from its static libraries already; Debian's
# LLVM is built with LLVM_LINK_LLVM_DYLIB, so MLIR's imported targets name
# the `LLVM` dylib. Here that name is replaced by the static component
# libraries the tools need, and LLVMSupport's shared compression and Z3
# dependencies by static zlib/zstd (Z3 is only used by the static analyzer's
# solver, never referenced by attn).

find_package(ZLIB REQUIRED)
find_package(zstd REQUIRED CONFIG)

# Components: what MLIR's LLVM IR translation and the NVVM/ROCDL targets pull
# in, and the NVPTX and AMDGPU back ends.
llvm_map_components_to_libnames(ATTN_STATIC_LLVM_LIBS
  AMDGPUAsmParser AMDGPUCodeGen AMDGPUDesc AMDGPUInfo
  NVPTXCodeGen NVPTXDesc NVPTXInfo
  AsmParser BitReader BitWriter Core Demangle FrontendOffloading
  FrontendOpenMP IRReader Linker MC MCParser Object Passes Support Target
  TargetParser TransformUtils
  )

set(_attn_static_support_libs rt dl m ZLIB::ZLIB zstd::libzstd_static
    LLVMDemangle)
# LLVMSupport's own dependencies: static zlib/zstd, no Z3.
set_property(TARGET LLVMSupport PROPERTY INTERFACE_LINK_LIBRARIES
             ${_attn_static_support_libs})
set_target_properties(ZLIB::ZLIB PROPERTIES
  IMPORTED_LOCATION /usr/lib/x86_64-linux-gnu/libz.a)

# Every imported MLIR target naming the LLVM dylib gets the static libraries.
get_directory_property(_attn_imported IMPORTED_TARGETS)
foreach(_target ${_attn_imported})
  get_target_property(_libs ${_target} INTERFACE_LINK_LIBRARIES)
  if(_libs AND "LLVM" IN_LIST _libs)
    list(REMOVE_ITEM _libs LLVM)
    list(APPEND _libs ${ATTN_STATIC_LLVM_LIBS})
    set_target_properties(${_target} PROPERTIES
      INTERFACE_LINK_LIBRARIES "${_libs}")
  endif()
endforeach()

# attn's own LINK_COMPONENTS map to component libraries, not the dylib.
set(LLVM_LINK_LLVM_DYLIB OFF)
message(STATUS "ATTN_STATIC_LLVM: LLVM linked from static component libraries")
