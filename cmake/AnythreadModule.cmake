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

function(anythread_add_module name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIR" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "anythread_add_module(${name}): SOURCES is required")
  endif()
  if(NOT ARG_OUTPUT_DIR)
    set(ARG_OUTPUT_DIR "${CMAKE_BINARY_DIR}")
  endif()

  if(CMAKE_JS_VERSION)
    _anythread_node_addon_api_dir(napi_dir)
    _anythread_node_api_include(node_api_inc)
    add_library(${name} SHARED ${ARG_SOURCES} ${CMAKE_JS_SRC})
    set_target_properties(${name} PROPERTIES
      PREFIX "" SUFFIX ".node"
      LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIR}/native"
      CXX_VISIBILITY_PRESET hidden)
    target_include_directories(${name} PRIVATE
      "${node_api_inc}" "${napi_dir}" "${ANYTHREAD_ROOT}/native/include")
    # SWALLOW_UNTHROWABLE_EXCEPTIONS: while a Worker's environment is being
    # torn down, JS cannot run and node-addon-api would otherwise abort the
    # process when it fails to throw; it then drops the error instead.
    target_compile_definitions(${name} PRIVATE
      NAPI_VERSION=8 NAPI_DISABLE_CPP_EXCEPTIONS NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS)
    target_compile_options(${name} PRIVATE -fno-exceptions -Wall -Wextra)
    target_link_libraries(${name} PRIVATE anythread_core ${CMAKE_JS_LIB})
  elseif(EMSCRIPTEN)
    # Compiled once, linked twice: for Node (CommonJS, <dir>/wasm) and for
    # browsers (an ES module whose workers and .wasm are found next to it
    # through import.meta.url, <dir>/web).
    add_library(${name}_objects OBJECT ${ARG_SOURCES} "${ANYTHREAD_ROOT}/wasm/src/wake.cpp")
    target_include_directories(${name}_objects PRIVATE "${ANYTHREAD_ROOT}/wasm/include")
    target_compile_options(${name}_objects PRIVATE -pthread -fno-exceptions -Wall)
    target_link_libraries(${name}_objects PRIVATE anythread_core)
    set(glue "${ANYTHREAD_ROOT}/wasm/src/anythread_glue.js")
    set(post "${ANYTHREAD_ROOT}/wasm/src/anythread_post.js")
    set(common_link_options
      -pthread --bind
      -sMODULARIZE=1 "-sEXPORT_NAME=create_${name}"
      # Workers are created on demand beyond this prewarmed pool.
      -sPTHREAD_POOL_SIZE=4
      -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=64MB
      # Leave uncaught exceptions and rejections to Node's own handling.
      -sNODEJS_CATCH_EXIT=0 -sNODEJS_CATCH_REJECTION=0
      "--js-library=${glue}" "--post-js=${post}")

    add_executable(${name} $<TARGET_OBJECTS:${name}_objects>)
    set_target_properties(${name} PROPERTIES
      SUFFIX ".js" RUNTIME_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIR}/wasm")
    target_link_options(${name} PRIVATE ${common_link_options} -sENVIRONMENT=node,worker)

    add_executable(${name}_web $<TARGET_OBJECTS:${name}_objects>)
    set_target_properties(${name}_web PROPERTIES
      OUTPUT_NAME ${name} SUFFIX ".mjs" RUNTIME_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIR}/web")
    target_link_options(${name}_web PRIVATE ${common_link_options}
      -sEXPORT_ES6=1 -sENVIRONMENT=web,worker)
    add_custom_command(TARGET ${name}_web POST_BUILD
      COMMAND "${CMAKE_COMMAND}" "-DWORKER=${ARG_OUTPUT_DIR}/web/${name}.worker.js"
        -P "${ANYTHREAD_ROOT}/cmake/ViteIgnore.cmake"
      VERBATIM)

    foreach(t ${name} ${name}_web)
      target_link_libraries(${t} PRIVATE anythread_core)
      set_property(TARGET ${t} APPEND PROPERTY LINK_DEPENDS "${glue}" "${post}")
    endforeach()
    # Emscripten's Node output is CommonJS; say so whatever the consumer's type.
    file(WRITE "${ARG_OUTPUT_DIR}/wasm/package.json" "{ \"type\": \"commonjs\" }\n")
  else()
    message(STATUS "anythread_add_module(${name}): neither cmake-js nor emcmake; skipped")
  endif()
endfunction()
