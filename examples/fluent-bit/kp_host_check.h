/*
 * kp_host_check: refuses, at dlopen(), to run inside a Fluent Bit release or
 * build other than the one the plugin was compiled against (see
 * kp_host_check.c).
 */
#ifndef KP_HOST_CHECK_H
#define KP_HOST_CHECK_H

/* The version of the Fluent Bit binary the check found, or "unchecked"
 * when the plugin was loaded by a program that is not Fluent Bit. */
const char *kp_host_version(void);

#endif
