# Installs the unit and the configuration (see CMakeLists.txt): run by
# `cmake --install` and cpack, once the prefix is known.
if(CMAKE_INSTALL_PREFIX MATCHES "^/usr/?$")
  set(etc /etc)
else()
  set(etc ${CMAKE_INSTALL_PREFIX}/etc)
endif()
set(SLUICE_BIN ${CMAKE_INSTALL_PREFIX}/${SLUICE_BINDIR}/sluice)
set(SLUICE_CONFIG_DIR ${etc}/sluice)
set(SLUICE_DOC_DIR ${CMAKE_INSTALL_PREFIX}/${SLUICE_DOCDIR})
configure_file(${SLUICE_UNIT_TEMPLATE} ${SLUICE_UNIT_FILE} @ONLY)
file(INSTALL ${SLUICE_UNIT_FILE} DESTINATION ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
file(INSTALL ${SLUICE_PIPELINE_FILES} DESTINATION ${SLUICE_CONFIG_DIR})
