# sluice_add_plugin(NAME SOURCES src... [LIBRARIES lib...])
#
# Builds the plugin NAME as the loadable module sluice_NAME.so against the
# sluice SDK, with hidden visibility so that only its entry symbol is
# exported. The same function serves the source tree and out-of-tree plugins
# (through find_package(sluice)).
function(sluice_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "sluice_add_plugin(${name}): SOURCES is required")
  endif()
  set(target sluice_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE sluice::sdk ${ARG_LIBRARIES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME sluice_${name}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  # Fail at link time, not at load time, on a missing symbol. (Not under the
  # sanitizers: their runtime is linked into the executable only.)
  if(NOT SLUICE_SANITIZE AND NOT SLUICE_TSAN)
    target_link_options(${target} PRIVATE -Wl,--no-undefined)
  endif()
  if(DEFINED SLUICE_PLUGIN_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${SLUICE_PLUGIN_OUTPUT_DIRECTORY})
  endif()
  if(DEFINED SLUICE_PLUGIN_INSTALL_DIRECTORY)
    install(TARGETS ${target} LIBRARY DESTINATION ${SLUICE_PLUGIN_INSTALL_DIRECTORY})
  endif()
endfunction()
