/*
 * readidx: leadership confirmation for linearizable reads (the ReadIndex
 * idea of the Raft dissertation, §6.4, over HTTP).
 *
 * A leader may serve a read from its own state only if no other leader
 * could have committed a write before the read arrived. A round asks every
 * other voter for its current term; when a majority (this node included)
 * is still in this node's term, no newer leader was elected before the
 * round began, so every read that arrived before the round began may be
 * served. (Every acknowledged write of this term was applied here before
 * it was acknowledged; every earlier one was applied before this node
 * became ready: repl's leadership barrier.) Reads that arrive while a
 * round is out wait for the next one: one round serves them all, so the
 * cost per read falls as the load grows.
 *
 * A successful round also extends the leader's read lease (repl.h); the
 * thread renews it while reads use it, so under a steady load reads are
 * served without waiting for a round at all.
 *
 * The rounds run on a thread of this module with one HTTP client whose
 * connections stay open between rounds.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_READIDX_H
#define BANYAN_SRC_READIDX_H

#include "repl.h"

struct readidx;

/* Start the round thread for @r (borrowed). A round gives up after
 * @timeout_ms. Startup thread. */
struct readidx *readidx_new(struct repl *r, unsigned timeout_ms);

/* Fail the waiting reads with BN_EUNAVAIL, stop and join the thread, and
 * free @ri. readidx_free(NULL) does nothing. */
void readidx_free(struct readidx *ri);

/* Call @cb(@arg, res) once a round that began after this call confirmed
 * this node's leadership (res->rc 0), or failed (BN_EUNAVAIL, with the
 * reason). @cb runs on the round thread and owns res. Any thread. */
void readidx_wait(struct readidx *ri, repl_done_cb cb, void *arg);

/* Rounds run so far, and reads served by them (for tests and metrics). */
void readidx_stats(struct readidx *ri, uint64_t *rounds, uint64_t *reads);

#endif /* BANYAN_SRC_READIDX_H */
