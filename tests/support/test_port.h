/*
 * test_port: a free TCP port of 127.0.0.1 for unit tests that start a
 * listener of their own (a raft node, a transport).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_TESTS_TEST_PORT_H
#define BANYAN_TESTS_TEST_PORT_H

/* A port of 127.0.0.1 that nobody listens on right now (the kernel's
 * pick for a bind to port 0, released again), or -1 when the socket calls
 * fail. Any thread. */
int test_port_free(void);

#endif /* BANYAN_TESTS_TEST_PORT_H */
