/*
 * repl_types: the plain data of repl's public API (roles, the cluster
 * view, membership requests), apart from repl.h so that a front end's
 * codec can read and fill them without the replication module.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef BANYAN_SRC_REPL_TYPES_H
#define BANYAN_SRC_REPL_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"

/* Role of this node as raft sees it: X(enum, value, name). The names are
 * the API's ("state" of GET /api/v1/cluster, /readyz). */
#define REPL_ROLE_MAP(X)                                                       \
    X(REPL_UNAVAILABLE, 0, "unavailable")                                      \
    X(REPL_FOLLOWER, 1, "follower")                                            \
    X(REPL_CANDIDATE, 2, "candidate")                                          \
    X(REPL_LEADER, 3, "leader")

/* A node's role in the raft configuration: X(enum, value, name). VOTER is
 * RAFT_VOTER; STANDBY is RAFT_STANDBY (replicates, does not vote); SPARE
 * is RAFT_SPARE (neither). The names are the API's ("role" of a node). */
#define REPL_MEMBER_ROLE_MAP(X)                                                \
    X(REPL_VOTER, 0, "voter")                                                  \
    X(REPL_STANDBY, 1, "standby")                                              \
    X(REPL_SPARE, 2, "spare")

#define REPL_ROLE_ENUM(e, v, name) e = v,
enum repl_role {
    REPL_ROLE_MAP(REPL_ROLE_ENUM)
};
enum repl_member_role {
    REPL_MEMBER_ROLE_MAP(REPL_ROLE_ENUM)
};
#undef REPL_ROLE_ENUM

#define REPL_SERVERS_MAX 16

/* One node of the raft configuration, as this node sees it. */
struct repl_server {
    uint64_t id;
    int role;                       /* enum repl_member_role */
    char raft[CONFIG_ADDR_MAX + 1]; /* raft address */
    char http[CONFIG_ADDR_MAX + 1]; /* "" when unknown */
    uint64_t match_index;           /* leader only: replicated up to */
};

struct repl_info {
    int role; /* enum repl_role */
    uint64_t node_id;
    uint64_t term;
    uint64_t leader_id; /* 0: unknown */
    uint64_t commit_index;
    uint64_t applied_index;
    uint64_t last_index;
    uint64_t last_contact_ms; /* since the leader was heard; 0 on it */
    char leader_http[CONFIG_ADDR_MAX + 1]; /* "" when unknown */
    struct repl_server servers[REPL_SERVERS_MAX];
    size_t n_servers;
};

/* Membership operations (repl_admin). */
enum repl_admin_op {
    REPL_ADD = 1,      /* add node id (http, raft) with role */
    REPL_ASSIGN = 2,   /* change node id's role */
    REPL_REMOVE = 3,   /* remove node id */
    REPL_TRANSFER = 4, /* hand the leadership to node id (0: any voter) */
};

struct repl_admin_req {
    int op; /* enum repl_admin_op */
    uint64_t id;
    int role; /* enum repl_member_role */
    char http[CONFIG_ADDR_MAX + 1];
    char raft[CONFIG_ADDR_MAX + 1];
};

/* ---- names of roles ------------------------------------------------------ */

/* The name of enum repl_role @role ("leader"); "unavailable" for a value
 * out of the table. Any thread. */
static inline const char *repl_role_name(int role)
{
    switch (role) {
#define REPL_ROLE_CASE(e, v, name)                                             \
    case e:                                                                    \
        return name;
        REPL_ROLE_MAP(REPL_ROLE_CASE)
#undef REPL_ROLE_CASE
    default:
        return "unavailable";
    }
}

/* The name of enum repl_member_role @role ("voter"); "unknown" for a value
 * out of the table. Any thread. */
static inline const char *repl_member_role_name(int role)
{
    switch (role) {
#define REPL_ROLE_CASE(e, v, name)                                             \
    case e:                                                                    \
        return name;
        REPL_MEMBER_ROLE_MAP(REPL_ROLE_CASE)
#undef REPL_ROLE_CASE
    default:
        return "unknown";
    }
}

/* The enum repl_member_role named @name, or -1 when none is. Any thread. */
static inline int repl_member_role_parse(const char *name)
{
#define REPL_ROLE_CMP(e, v, s)                                                 \
    if (strcmp(name, s) == 0) {                                                \
        return e;                                                              \
    }
    REPL_MEMBER_ROLE_MAP(REPL_ROLE_CMP)
#undef REPL_ROLE_CMP
    return -1;
}

#endif /* BANYAN_SRC_REPL_TYPES_H */
