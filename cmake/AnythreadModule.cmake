# anythread_add_module(<name> SOURCES <src>... [OUTPUT_DIR <dir>])
#
# Declares one cross-runtime module from one set of C++ sources. What it
# builds depends on how CMake was invoked:
#   - through cmake-js (CMAKE_JS_VERSION set): <dir>/native/<name>.node, a
#     Node-API addon on node-addon-api (headers from node-api-headers, offline);
#   - through emcmake (EMSCRIPTEN set): <dir>/wasm/<name>.js, .wasm and
#     .worker.js (CommonJS, for Node) and <dir>/web/<name>.mjs, .wasm and
#     .worker.js (an ES module, for browsers and bundlers): Emscripten pthreads.
# The sources include <anythread/anythread.hpp> and declare their exports
# with ANYTHREAD_MODULE; the backend is picked by the include path.
#
# anythread::anythread, for a module you already have (a node-addon-api
# addon with NODE_API_MODULE, an Emscripten module with EMSCRIPTEN_BINDINGS):
#   target_link_libraries(<your target> PRIVATE anythread::anythread)
# gives it the core and the backend of this configuration (cmake-js: the
# Node-API one; emcmake: the wasm one, with its JS glue and -pthread). Your
# target keeps its own name, exports and link options.
include_guard(GLOBAL)

set(ANYTHREAD_ROOT "${CMAKE_CURRENT_LIST_DIR}/.." CACHE INTERNAL "")
get_filename_component(ANYTHREAD_ROOT "${ANYTHREAD_ROOT}" ABSOLUTE)

find_package(Threads REQUIRED)

if(NOT TARGET anythread_core)
  # The header-only core, for every build (unit tests use it without JS).
  add_library(anythread_core INTERFACE)
  target_include_directories(anythread_core INTERFACE "${ANYTHREAD_ROOT}/shared/include")
  target_compile_features(anythread_core INTERFACE cxx_std_17)
  target_link_libraries(anythread_core INTERFACE Threads::Threads)
endif()

function(_anythread_node_addon_api_dir out)
  execute_process(
    COMMAND node -p "require('node-addon-api').include_dir"
    WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}"
    OUTPUT_VARIABLE dir OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR dir STREQUAL "")
    message(FATAL_ERROR "anythread: node-addon-api not found from ${CMAKE_SOURCE_DIR}; run `npm install node-addon-api`.")
  endif()
  if(NOT IS_ABSOLUTE "${dir}")
    set(dir "${CMAKE_SOURCE_DIR}/${dir}")
  endif()
  set(${out} "${dir}" PARENT_SCOPE)
endfunction()

# The Node-API headers from the node-api-headers package when it resolves
# (the same headers for every project, no download), else cmake-js's own.
function(_anythread_node_api_include out)
  execute_process(
    COMMAND node -p "require('node-api-headers').include_dir"
    WORKING_DIRECTORY "${CMAKE_SOURCE_DIR}"
    OUTPUT_VARIABLE dir OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE rc ERROR_QUIET)
  if(rc EQUAL 0 AND IS_DIRECTORY "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "${CMAKE_JS_INC}" PARENT_SCOPE)
  endif()
endfunction()

if(NOT TARGET anythread_backend AND (CMAKE_JS_VERSION OR EMSCRIPTEN))
  add_library(anythread_backend INTERFACE)
  add_library(anythread::anythread ALIAS anythread_backend)
  target_link_libraries(anythread_backend INTERFACE anythread_core)
  if(CMAKE_JS_VERSION)
    _anythread_node_addon_api_dir(_anythread_napi_dir)
    _anythread_node_api_include(_anythread_node_api_inc)
    target_include_directories(anythread_backend INTERFACE
      "${_anythread_node_api_inc}" "${_anythread_napi_dir}" "${ANYTHREAD_ROOT}/native/include")
    # SWALLOW_UNTHROWABLE_EXCEPTIONS: while a Worker's environment is being
    # torn down, JS cannot run and node-addon-api would otherwise abort the
    # process when it fails to throw; it then drops the error instead.
    target_compile_definitions(anythread_backend INTERFACE NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS)
  else()
    # The module links the backend's JS glue (the loops and doorbell the
    # backend calls) and a post-js that lets Node exit while pthread workers
    # idle (TOOLCHAIN.md quirk 6).
    set(glue "${ANYTHREAD_ROOT}/wasm/src/anythread_glue.js")
    set(post "${ANYTHREAD_ROOT}/wasm/src/anythread_post.js")
    target_include_directories(anythread_backend INTERFACE "${ANYTHREAD_ROOT}/wasm/include")
    target_sources(anythread_backend INTERFACE "${ANYTHREAD_ROOT}/wasm/src/wake.cpp")
    target_compile_options(anythread_backend INTERFACE -pthread)
    target_link_options(anythread_backend INTERFACE
      -pthread --bind "--js-library=${glue}" "--post-js=${post}")
    set_property(TARGET anythread_backend PROPERTY INTERFACE_LINK_DEPENDS "${glue}" "${post}")
  endif()
endif()

# anythread_vite_ignore_worker(<target>): after each link of the Emscripten
# pthreads build <target> (an ES module, for browsers), marks its worker's
# import of the main script, from a URL known only at run time,
# /* @vite-ignore */, so Vite's dev server does not warn about it
# (cmake/ViteIgnore.cmake). anythread_add_module does it for its web build;
# call it for a web build of your own.
function(anythread_vite_ignore_worker target)
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND "${CMAKE_COMMAND}"
      "-DWORKER=$<TARGET_FILE_DIR:${target}>/$<TARGET_FILE_BASE_NAME:${target}>.worker.js"
      -P "${ANYTHREAD_ROOT}/cmake/ViteIgnore.cmake"
    VERBATIM)
endfunction()

function(anythread_add_module name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIR" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "anythread_add_module(${name}): SOURCES is required")
  endif()
  if(NOT ARG_OUTPUT_DIR)
    set(ARG_OUTPUT_DIR "${CMAKE_BINARY_DIR}")
  endif()

  if(CMAKE_JS_VERSION)
    add_library(${name} SHARED ${ARG_SOURCES} ${CMAKE_JS_SRC})
    set_target_properties(${name} PROPERTIES
      PREFIX "" SUFFIX ".node"
      LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIR}/native"
      CXX_VISIBILITY_PRESET hidden)
    target_compile_definitions(${name} PRIVATE NAPI_VERSION=8 NAPI_DISABLE_CPP_EXCEPTIONS)
    target_compile_options(${name} PRIVATE -fno-exceptions -Wall -Wextra)
    target_link_libraries(${name} PRIVATE anythread_backend ${CMAKE_JS_LIB})
  elseif(EMSCRIPTEN)
    # Compiled once, linked twice: for Node (CommonJS, <dir>/wasm) and for
    # browsers (an ES module whose workers and .wasm are found next to it
    # through import.meta.url, <dir>/web).
    # The objects take the backend's headers, -pthread and wake.cpp from
    # anythread_backend.
    add_library(${name}_objects OBJECT ${ARG_SOURCES})
    target_compile_options(${name}_objects PRIVATE -fno-exceptions -Wall)
    target_link_libraries(${name}_objects PRIVATE anythread_backend)
    # Its two links take anythread_backend's link options, but not its
    # sources (wake.cpp is in the objects already).
    get_target_property(backend_link_options anythread_backend INTERFACE_LINK_OPTIONS)
    get_target_property(backend_link_depends anythread_backend INTERFACE_LINK_DEPENDS)
    set(common_link_options
      ${backend_link_options}
      -sMODULARIZE=1 "-sEXPORT_NAME=create_${name}"
      # Workers are created on demand beyond this prewarmed pool.
      -sPTHREAD_POOL_SIZE=4
      -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=64MB
      # Leave uncaught exceptions and rejections to Node's own handling.
      -sNODEJS_CATCH_EXIT=0 -sNODEJS_CATCH_REJECTION=0)

    add_executable(${name} $<TARGET_OBJECTS:${name}_objects>)
    set_target_properties(${name} PROPERTIES
      SUFFIX ".js" RUNTIME_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIR}/wasm")
    target_link_options(${name} PRIVATE ${common_link_options} -sENVIRONMENT=node,worker)

    add_executable(${name}_web $<TARGET_OBJECTS:${name}_objects>)
    set_target_properties(${name}_web PROPERTIES
      OUTPUT_NAME ${name} SUFFIX ".mjs" RUNTIME_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIR}/web")
    target_link_options(${name}_web PRIVATE ${common_link_options}
      -sEXPORT_ES6=1 -sENVIRONMENT=web,worker)
    anythread_vite_ignore_worker(${name}_web)

    foreach(t ${name} ${name}_web)
      target_link_libraries(${t} PRIVATE anythread_core)
      set_property(TARGET ${t} APPEND PROPERTY LINK_DEPENDS ${backend_link_depends})
    endforeach()
    # Emscripten's Node output is CommonJS; say so whatever the consumer's type.
    file(WRITE "${ARG_OUTPUT_DIR}/wasm/package.json" "{ \"type\": \"commonjs\" }\n")
  else()
    message(STATUS "anythread_add_module(${name}): neither cmake-js nor emcmake; skipped")
  endif()
endfunction()
