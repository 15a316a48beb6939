# pkcs11/ copied alone into OUT (no daemon/ beside it), configured and built
# as its own project: the custody library needs nothing of the daemon.
file(REMOVE_RECURSE ${OUT})
file(COPY ${SRC} DESTINATION ${OUT})
execute_process(COMMAND ${CMAKE_COMMAND} -S ${OUT}/pkcs11 -B ${OUT}/build
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkcs11/ does not configure on its own")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${OUT}/build RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkcs11/ does not build on its own")
endif()
message(STATUS "pkcs11/ builds on its own")
