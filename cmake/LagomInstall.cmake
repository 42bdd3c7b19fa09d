# LagomInstall: what `cmake --install build --prefix P` puts under P, the CMake
# package (lagom::lagom), the pkg-config file and the .deb (cpack -G DEB).
#
#   P/bin/lagom                        the binary every node runs
#   P/include/lagom/*.hpp              the public API (and tuning/ headers it includes)
#   P/lib/liblagom_*.a                 the static libraries lagom::lagom links
#   P/lib/cmake/lagom/                 lagomConfig.cmake, version file, exported targets, FindCAF
#   P/lib/pkgconfig/lagom.pc           the same for pkg-config
#   P/share/lagom/examples/            .lagom scripts and the host_service example
#
# The libraries installed are the link closure of lagom_actors, lagom_nn and
# lagom_data, walked here at configure time: a static library another issue
# adds to that closure is installed and exported without a change here. An
# imported dependency the package config does not re-find is reported below.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(LAGOM_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/lagom)
# `make install` and cpack's preinstall step would build every target first
# (benchmarks and tests included); installing copies what is built, as
# `cmake --install` does: build `lagom` (or all) before.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

# Post-order walk of the link graph from the roots: lagom's own static
# libraries (dependencies before their dependents) and the imported targets
# reached, kept in global properties.
function(lagom_link_walk target)
  get_property(seen GLOBAL PROPERTY lagom_seen)
  if(target IN_LIST seen)
    return()
  endif()
  set_property(GLOBAL APPEND PROPERTY lagom_seen ${target})
  get_target_property(is_imported ${target} IMPORTED)
  if(is_imported)
    set_property(GLOBAL APPEND PROPERTY lagom_imported ${target})
    return()
  endif()
  get_target_property(direct ${target} LINK_LIBRARIES)
  get_target_property(iface ${target} INTERFACE_LINK_LIBRARIES)
  foreach(item IN LISTS direct iface)
    string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" item "${item}")
    if(item AND TARGET ${item})
      lagom_link_walk(${item})
    endif()
  endforeach()
  set_property(GLOBAL APPEND PROPERTY lagom_post_order ${target})
endfunction()

foreach(root lagom_actors lagom_nn lagom_data)
  lagom_link_walk(${root})
endforeach()
get_property(lagom_libs GLOBAL PROPERTY lagom_post_order)
get_property(lagom_imported GLOBAL PROPERTY lagom_imported)
set(lagom_link_order ${lagom_libs})
list(REVERSE lagom_link_order)   # dependents first: the order a static link needs

# Include directories inside the source or build tree are only for the build;
# the installed targets see P/include and P/include/lagom (the tuning/ headers
# the public ones include live under include/lagom/tuning).
foreach(lib IN LISTS lagom_libs)
  get_target_property(dirs ${lib} INTERFACE_INCLUDE_DIRECTORIES)
  if(NOT dirs)
    continue()
  endif()
  set(wrapped)
  foreach(dir IN LISTS dirs)
    if(dir MATCHES "^\\$<" OR NOT (dir MATCHES "^${CMAKE_SOURCE_DIR}" OR dir MATCHES "^${CMAKE_BINARY_DIR}"))
      list(APPEND wrapped "${dir}")
    else()
      list(APPEND wrapped "$<BUILD_INTERFACE:${dir}>")
    endif()
  endforeach()
  set_target_properties(${lib} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${wrapped}")
endforeach()
target_include_directories(lagom_core INTERFACE
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/lagom>)

# The umbrella a host links: lagom::lagom.
add_library(lagom_package INTERFACE)
set_target_properties(lagom_package PROPERTIES EXPORT_NAME lagom)
target_link_libraries(lagom_package INTERFACE lagom_actors lagom_nn lagom_data)
add_library(lagom::lagom ALIAS lagom_package)
# A sanitized build's libraries call the sanitizer runtimes: a host links them too.
if(LAGOM_SANITIZE)
  target_link_options(lagom_package INTERFACE -fsanitize=${LAGOM_SANITIZE})
endif()

# Every imported target the closure reaches must be re-found by lagomConfig.cmake.
set(lagom_refound Threads::Threads CAF::core CAF::io CAF::openssl CapnProto::capnp CapnProto::kj
  spdlog::spdlog fmt::fmt PkgConfig::LMDB ZLIB::ZLIB PNG::PNG BLAS::BLAS
  OpenMP::OpenMP_CXX CUDA::cudart_static gloo)
# Gloo (the CPU collectives) once a library of the closure links it.
set(LAGOM_NEEDS_GLOO OFF)
set(LAGOM_DEB_GLOO "")
if("gloo" IN_LIST lagom_imported)
  set(LAGOM_NEEDS_GLOO ON)
  set(LAGOM_DEB_GLOO ", libgloo-dev")
endif()
foreach(dep IN LISTS lagom_imported)
  if(NOT dep IN_LIST lagom_refound AND NOT dep MATCHES "^CUDA::")
    message(WARNING "lagom install: ${dep} is linked but cmake/lagomConfig.cmake.in "
                    "does not find it; add a find_dependency there")
  endif()
endforeach()

install(TARGETS lagom RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS ${lagom_libs} lagom_package EXPORT lagomTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT lagomTargets NAMESPACE lagom:: DESTINATION ${LAGOM_INSTALL_CMAKEDIR})

# The public headers and the runtime/tuning and storage headers they include (g++ -MM of
# lagom/lagom.hpp); the host_service test compiles against exactly these.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/runtime/include/lagom
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.hpp")
install(FILES
  ${CMAKE_SOURCE_DIR}/runtime/tuning/early_stopping.hpp
  ${CMAKE_SOURCE_DIR}/runtime/tuning/optimizer.hpp
  ${CMAKE_SOURCE_DIR}/runtime/tuning/searchspace.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/lagom/tuning)
install(FILES
  ${CMAKE_SOURCE_DIR}/storage/dataset_export.hpp
  ${CMAKE_SOURCE_DIR}/storage/feature_frame.hpp
  ${CMAKE_SOURCE_DIR}/storage/feature_query.hpp
  ${CMAKE_SOURCE_DIR}/storage/feature_stats.hpp
  ${CMAKE_SOURCE_DIR}/storage/feature_store.hpp
  ${CMAKE_SOURCE_DIR}/storage/lmdb.hpp
  ${CMAKE_SOURCE_DIR}/storage/training_dataset.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/lagom/storage)

configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/lagomConfig.cmake.in
  ${CMAKE_BINARY_DIR}/lagomConfig.cmake INSTALL_DESTINATION ${LAGOM_INSTALL_CMAKEDIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/lagomConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/lagomConfig.cmake ${CMAKE_BINARY_DIR}/lagomConfigVersion.cmake
  ${CMAKE_SOURCE_DIR}/cmake/FindCAF.cmake DESTINATION ${LAGOM_INSTALL_CMAKEDIR})

# pkg-config: the static libraries in link order, then what they need.
set(LAGOM_PC_LIBS "")
foreach(lib IN LISTS lagom_link_order)
  string(APPEND LAGOM_PC_LIBS " -l${lib}")
endforeach()
if(LAGOM_NEEDS_GLOO)
  string(APPEND LAGOM_PC_LIBS " -lgloo")
endif()
# caf_openssl with libssl/libcrypto: lagom_wire's TLS doors (and its SSL_* wrappers).
string(APPEND LAGOM_PC_LIBS " -l:libcaf_openssl.so -l:libcaf_io.so -l:libcaf_core.so -lssl -lcrypto -ldl"
                            " -fopenmp -lpthread")
if(LAGOM_HAVE_CUDA AND LAGOM_NCCL_LIBRARY AND LAGOM_NCCL_INCLUDE_DIR)
  # lagom_collective's NCCL backend (rank_group makes it for backend=nccl).
  string(APPEND LAGOM_PC_LIBS " ${LAGOM_NCCL_LIBRARY}")
endif()
if(LAGOM_HAVE_CUDA)
  string(APPEND LAGOM_PC_LIBS " -L${CUDAToolkit_LIBRARY_DIR} -lcudart_static -ldl -lrt")
endif()
if(LAGOM_SANITIZE)
  string(APPEND LAGOM_PC_LIBS " -fsanitize=${LAGOM_SANITIZE}")
endif()
# The prefix is found from the .pc file's own place, so the install is relocatable.
file(RELATIVE_PATH LAGOM_PC_TO_PREFIX /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
configure_file(${CMAKE_SOURCE_DIR}/cmake/lagom.pc.in ${CMAKE_BINARY_DIR}/lagom.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/lagom.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(FILES ${CMAKE_SOURCE_DIR}/examples/hello.lagom ${CMAKE_SOURCE_DIR}/examples/fashion_mnist.lagom
  ${CMAKE_SOURCE_DIR}/examples/search.lagom ${CMAKE_SOURCE_DIR}/examples/search_mlp.lagom
  DESTINATION ${CMAKE_INSTALL_DATADIR}/lagom/examples)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/examples/host_service
  DESTINATION ${CMAKE_INSTALL_DATADIR}/lagom/examples)

# cpack -G DEB (in build/): one package, the binary and the development files.
# Depends: the -dev packages of what the static libraries link (a host links
# them too); they bring the shared libraries the binary needs.
set(CPACK_PACKAGE_NAME lagom)
set(CPACK_PACKAGE_VENDOR lagom)
set(CPACK_PACKAGE_CONTACT "lagom maintainers <lagom@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "actor-model runtime for distributed deep learning (binary, headers, CMake package)")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
  "libcaf-dev (>= 0.17.6), libcapnp-dev (>= 0.9), liblmdb-dev, libspdlog-dev, libfmt-dev, libopenblas-dev, zlib1g-dev, libpng-dev, libssl-dev${LAGOM_DEB_GLOO}, libreadline8, libgomp1, libstdc++6, cmake (>= 3.22) | pkg-config")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "slurmctld, slurmd, slurm-client, munge")
include(CPack)
