# sluice_add_subdirectories([EXCEPT name...])
# Adds every folder beside the calling CMakeLists.txt that has its own, so a
# new plugin, codec or test area needs no edit anywhere else.
function(sluice_add_subdirectories)
  cmake_parse_arguments(ARG "" "" "EXCEPT" ${ARGN})
  file(GLOB entries LIST_DIRECTORIES true CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*)
  foreach(dir IN LISTS entries)
    get_filename_component(name ${dir} NAME)
    if(EXISTS ${dir}/CMakeLists.txt AND NOT name IN_LIST ARG_EXCEPT)
      add_subdirectory(${name})
    endif()
  endforeach()
endfunction()
