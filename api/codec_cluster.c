/*
 * codec_cluster: the cluster documents (term, node views, the cluster,
 * checksums, members) and the membership bodies.
 *
 * SPDX-License-Identifier: MIT
 */
#include "codec.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "../src/addr.h"
#include "../src/config.h"
#include "codec_int.h"

/* ---- cluster --------------------------------------------------------- */

char *codec_term_to_json(uint64_t term, uint64_t node_id, size_t *len)
{
    json_t *o;

    codec__init();
    o = json_object();
    codec__set(o, "term",
               codec__uint(term)); /* first: repl_lease.c reads it so */
    codec__set(o, "node_id", codec__uint(node_id));
    return codec__dump(o, len);
}

char *codec_lease_to_json(uint64_t term, uint64_t node_id, unsigned lease_ms,
                          size_t *len)
{
    json_t *o;

    codec__init();
    o = json_object();
    codec__set(o, "term",
               codec__uint(term)); /* first: repl_lease.c reads it so */
    codec__set(o, "node_id", codec__uint(node_id));
    codec__set(o, "lease_ms", codec__uint(lease_ms));
    return codec__dump(o, len);
}

static json_t *self_object(const struct repl_info *info, const char *http)
{
    json_t *o = json_object();

    codec__set(o, "id", codec__uint(info->node_id));
    codec__set(o, "http", codec__str(http));
    codec__set(o, "state", codec__str(repl_role_name(info->role)));
    codec__set(o, "leader_id", codec__uint(info->leader_id));
    codec__set(o, "term", codec__uint(info->term));
    codec__set(o, "commit_index", codec__uint(info->commit_index));
    codec__set(o, "applied_index", codec__uint(info->applied_index));
    codec__set(o, "last_index", codec__uint(info->last_index));
    codec__set(o, "last_contact_ms", codec__uint(info->last_contact_ms));
    return o;
}

char *codec_node_self_to_json(const struct repl_info *info, const char *http,
                              size_t *len)
{
    codec__init();
    return codec__dump(self_object(info, http), len);
}

char *codec_cluster_to_json(const struct repl_info *info, const char *http,
                            const char *const *peer_bodies, size_t *len)
{
    json_t *o;
    json_t *nodes;

    codec__init();
    o = json_object();
    nodes = json_array();
    codec__set(o, "self_id", codec__uint(info->node_id));
    codec__set(o, "leader_id", codec__uint(info->leader_id));
    codec__set(o, "term", codec__uint(info->term));
    for (size_t i = 0; i < info->n_servers; i++) {
        const struct repl_server *sv = &info->servers[i];
        bool self = sv->id == info->node_id;
        json_t *n = json_object();
        json_t *peer = NULL;

        if (self) {
            peer = self_object(info, http);
        } else if (peer_bodies[i] != NULL) {
            peer = json_loads(peer_bodies[i], 0, NULL);
            if (peer != NULL && !json_is_object(peer)) {
                json_decref(peer);
                peer = NULL;
            }
        }
        codec__set(n, "id", codec__uint(sv->id));
        codec__set(n, "http", codec__str(sv->http));
        codec__set(n, "raft", codec__str(sv->raft));
        codec__set(n, "role", codec__str(repl_member_role_name(sv->role)));
        codec__set(n, "leader", json_boolean(sv->id == info->leader_id));
        codec__set(n, "self", json_boolean(self));
        codec__set(n, "reachable", json_boolean(peer != NULL));
        if (peer != NULL) {
            static const char *const keys[] = {
                "state",         "term",       "commit_index",
                "applied_index", "last_index", "last_contact_ms"};

            for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
                json_t *v = json_object_get(peer, keys[k]);

                codec__set(n, keys[k],
                           v != NULL ? json_incref(v) : json_null());
            }
            json_decref(peer);
        } else {
            codec__set(n, "state", json_null());
            codec__set(n, "term", json_null());
            codec__set(n, "commit_index", json_null());
            codec__set(n, "applied_index", json_null());
            codec__set(n, "last_index", json_null());
            codec__set(n, "last_contact_ms", json_null());
        }
        if (info->role == REPL_LEADER) {
            codec__set(n, "match_index", codec__uint(sv->match_index));
        }
        json_array_append_new(nodes, n);
    }
    codec__set(o, "nodes", nodes);
    return codec__dump(o, len);
}

char *codec_checksum_to_json(uint64_t node_id, uint64_t applied_index,
                             uint64_t inodes, uint64_t directories,
                             uint64_t sum, size_t *len)
{
    json_t *o;
    char hex[17];

    codec__init();
    (void)snprintf(hex, sizeof(hex), "%016" PRIx64, sum);
    o = json_object();
    codec__set(o, "node_id", codec__uint(node_id));
    codec__set(o, "applied_index", codec__uint(applied_index));
    codec__set(o, "inodes", codec__uint(inodes));
    codec__set(o, "directories", codec__uint(directories));
    codec__set(o, "checksum", json_string(hex));
    return codec__dump(o, len);
}

char *codec_member_to_json(const struct repl_admin_req *m, size_t *len)
{
    json_t *o;

    codec__init();
    o = json_object();
    codec__set(o, "id", codec__uint(m->id));
    if (m->http[0] != '\0') {
        codec__set(o, "http", codec__str(m->http));
    }
    if (m->raft[0] != '\0') {
        codec__set(o, "raft", codec__str(m->raft));
    }
    codec__set(o, "role", codec__str(repl_member_role_name(m->role)));
    return codec__dump(o, len);
}

static int decode_role(json_t *v, int *role, char errmsg[BN_ERRMSG_SIZE])
{
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;

    int r = s != NULL ? repl_member_role_parse(s) : -1;

    if (r >= 0) {
        *role = r;
    } else {
        bn_errmsg_printf(errmsg, "'role' must be voter, standby or spare");
        return BN_EINVAL;
    }
    return 0;
}

static int decode_addr(json_t *v, const char *key,
                       char out[CONFIG_ADDR_MAX + 1],
                       char errmsg[BN_ERRMSG_SIZE])
{
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;

    if (s == NULL || strlen(s) > CONFIG_ADDR_MAX) {
        bn_errmsg_printf(errmsg, "'%s' must be a host:port string", key);
        return BN_EINVAL;
    }
    if (addr_parse(s, NULL, errmsg) != 0) {
        bn_errmsg_wrapf(errmsg, "'%s'", key);
        return BN_EINVAL;
    }
    (void)snprintf(out, CONFIG_ADDR_MAX + 1, "%s", s);
    return 0;
}

int codec_decode_member(const char *body, size_t len, size_t max, int op,
                        struct repl_admin_req *out, char errmsg[BN_ERRMSG_SIZE])
{
    json_t *obj;
    json_t *v;
    const char *key;
    bool has_id = false;
    bool has_role = false;
    int rc;

    if (op == REPL_TRANSFER && len == 0) {
        return 0; /* no body: any voter */
    }
    rc = codec__load_object(body, len, max, &obj, errmsg);
    if (rc != 0) {
        return rc;
    }
    json_object_foreach(obj, key, v)
    {
        if (strcmp(key, "id") == 0 && op != REPL_ASSIGN) {
            if (!json_is_integer(v) || json_integer_value(v) < 0 ||
                (json_integer_value(v) == 0 && op != REPL_TRANSFER)) {
                bn_errmsg_printf(errmsg, "'id' must be a node id (from 1)");
                rc = BN_EINVAL;
                break;
            }
            out->id = (uint64_t)json_integer_value(v);
            has_id = true;
        } else if (strcmp(key, "http") == 0 && op == REPL_ADD) {
            rc = decode_addr(v, "http", out->http, errmsg);
        } else if (strcmp(key, "raft") == 0 && op == REPL_ADD) {
            rc = decode_addr(v, "raft", out->raft, errmsg);
        } else if (strcmp(key, "role") == 0 &&
                   (op == REPL_ADD || op == REPL_ASSIGN)) {
            rc = decode_role(v, &out->role, errmsg);
            has_role = true;
        } else {
            bn_errmsg_printf(errmsg, "unknown field '%.64s'", key);
            rc = BN_EINVAL;
        }
        if (rc != 0) {
            break;
        }
    }
    json_decref(obj);
    if (rc != 0) {
        return rc;
    }
    if (op == REPL_ADD &&
        (!has_id || out->http[0] == '\0' || out->raft[0] == '\0')) {
        bn_errmsg_printf(errmsg, "a new node needs 'id', 'http' and 'raft'");
        return BN_EINVAL;
    }
    if (op == REPL_ASSIGN && !has_role) {
        bn_errmsg_printf(errmsg, "the body needs 'role'");
        return BN_EINVAL;
    }
    return 0;
}
