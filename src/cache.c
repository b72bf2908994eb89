/*
 * cache: two intrusive chained hash tables (by id, by edge) over one set of
 * entries, and an LRU list of the clean entries.
 *
 * SPDX-License-Identifier: MIT
 */
#include "cache.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

enum entry_kind {
    ENTRY_INODE = 0, /* an inode (live, or an id tombstone when gone) */
    ENTRY_EDGE = 1,  /* an edge tombstone only */
};

struct entry {
    int kind;
    bool dirty;
    bool gone;        /* ENTRY_INODE: deleted */
    bool in_edge;     /* linked in the edge table */
    bool in_id;       /* linked in the id table */
    struct inode ino; /* ENTRY_EDGE uses parent and name only */
    size_t charge;    /* bytes charged to the budget */
    struct entry *id_next;
    struct entry *edge_next;
    struct entry *prev; /* LRU (clean) or dirty list */
    struct entry *next;
};

struct table {
    struct entry **b;
    size_t nb; /* power of two */
    size_t n;
};

struct list {
    struct entry *head; /* most recent */
    struct entry *tail;
};

struct cache {
    pthread_mutex_t mu;
    struct table by_id;
    struct table by_edge;
    struct list lru;   /* clean entries */
    struct list dirty; /* dirty entries and tombstones */
    uint64_t budget;
    uint64_t bytes;
    uint64_t entries;
    uint64_t gen;
    uint64_t hits, misses, evictions, ndirty;
};

/* ---- hashing ------------------------------------------------------------ */

#define TABLE_MIN 1024 /* buckets */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint64_t edge_hash(bn_ino parent, const char *name)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return mix64(h ^ mix64(parent));
}

static size_t id_slot(const struct table *t, bn_ino ino)
{
    return (size_t)(mix64(ino) & (t->nb - 1));
}

static size_t edge_slot(const struct table *t, bn_ino parent, const char *name)
{
    return (size_t)(edge_hash(parent, name) & (t->nb - 1));
}

static void table_init(struct table *t)
{
    t->nb = TABLE_MIN;
    t->n = 0;
    t->b = bn_calloc(t->nb, sizeof(*t->b));
}

static struct entry **id_chain(struct table *t, bn_ino ino)
{
    return &t->b[id_slot(t, ino)];
}

static struct entry **edge_chain(struct table *t, bn_ino parent,
                                 const char *name)
{
    return &t->b[edge_slot(t, parent, name)];
}

static void id_resize(struct cache *c, size_t nb)
{
    struct table *t = &c->by_id;
    struct table nt = {bn_calloc(nb, sizeof(*t->b)), nb, t->n};

    for (size_t i = 0; i < t->nb; i++) {
        struct entry *e = t->b[i];

        while (e != NULL) {
            struct entry *next = e->id_next;
            struct entry **ch = id_chain(&nt, e->ino.id);

            e->id_next = *ch;
            *ch = e;
            e = next;
        }
    }
    free(t->b);
    c->bytes -= t->nb * sizeof(*t->b);
    *t = nt;
    c->bytes += t->nb * sizeof(*t->b);
}

static void edge_resize(struct cache *c, size_t nb)
{
    struct table *t = &c->by_edge;
    struct table nt = {bn_calloc(nb, sizeof(*t->b)), nb, t->n};

    for (size_t i = 0; i < t->nb; i++) {
        struct entry *e = t->b[i];

        while (e != NULL) {
            struct entry *next = e->edge_next;
            struct entry **ch = edge_chain(&nt, e->ino.parent, e->ino.name);

            e->edge_next = *ch;
            *ch = e;
            e = next;
        }
    }
    free(t->b);
    c->bytes -= t->nb * sizeof(*t->b);
    *t = nt;
    c->bytes += t->nb * sizeof(*t->b);
}

static struct entry *id_find(struct cache *c, bn_ino ino)
{
    for (struct entry *e = *id_chain(&c->by_id, ino); e; e = e->id_next) {
        if (e->ino.id == ino) {
            return e;
        }
    }
    return NULL;
}

static struct entry *edge_find(struct cache *c, bn_ino parent, const char *name)
{
    struct entry *e = *edge_chain(&c->by_edge, parent, name);

    for (; e != NULL; e = e->edge_next) {
        if (e->ino.parent == parent && strcmp(e->ino.name, name) == 0) {
            return e;
        }
    }
    return NULL;
}

static void id_link(struct cache *c, struct entry *e)
{
    struct entry **ch;

    assert(!e->in_id);
    if (c->by_id.n + 1 > c->by_id.nb) {
        id_resize(c, c->by_id.nb * 2);
    }
    ch = id_chain(&c->by_id, e->ino.id);
    e->id_next = *ch;
    *ch = e;
    e->in_id = true;
    c->by_id.n++;
}

static void id_unlink(struct cache *c, struct entry *e)
{
    struct entry **pp = id_chain(&c->by_id, e->ino.id);

    assert(e->in_id);
    while (*pp != e) {
        assert(*pp != NULL);
        pp = &(*pp)->id_next;
    }
    *pp = e->id_next;
    e->id_next = NULL;
    e->in_id = false;
    c->by_id.n--;
}

static void edge_link(struct cache *c, struct entry *e)
{
    struct entry **ch;

    assert(!e->in_edge);
    if (c->by_edge.n + 1 > c->by_edge.nb) {
        edge_resize(c, c->by_edge.nb * 2);
    }
    ch = edge_chain(&c->by_edge, e->ino.parent, e->ino.name);
    e->edge_next = *ch;
    *ch = e;
    e->in_edge = true;
    c->by_edge.n++;
}

static void edge_unlink(struct cache *c, struct entry *e)
{
    struct entry **pp = edge_chain(&c->by_edge, e->ino.parent, e->ino.name);

    assert(e->in_edge);
    while (*pp != e) {
        assert(*pp != NULL);
        pp = &(*pp)->edge_next;
    }
    *pp = e->edge_next;
    e->edge_next = NULL;
    e->in_edge = false;
    c->by_edge.n--;
}

/* ---- lists -------------------------------------------------------------- */

static void list_push(struct list *l, struct entry *e)
{
    e->prev = NULL;
    e->next = l->head;
    if (l->head != NULL) {
        l->head->prev = e;
    } else {
        l->tail = e;
    }
    l->head = e;
}

static void list_del(struct list *l, struct entry *e)
{
    if (e->prev != NULL) {
        e->prev->next = e->next;
    } else {
        l->head = e->next;
    }
    if (e->next != NULL) {
        e->next->prev = e->prev;
    } else {
        l->tail = e->prev;
    }
    e->prev = e->next = NULL;
}

/* ---- entries ------------------------------------------------------------ */

static size_t charge_of(const struct entry *e)
{
    return sizeof(*e) + inode_mem_size(&e->ino);
}

static struct entry *entry_new(struct cache *c, int kind)
{
    struct entry *e = bn_calloc(1, sizeof(*e));

    e->kind = kind;
    c->entries++;
    return e;
}

static void entry_charge(struct cache *c, struct entry *e)
{
    c->bytes -= e->charge;
    e->charge = charge_of(e);
    c->bytes += e->charge;
}

/* Unlink @e from everything and free it. */
static void entry_destroy(struct cache *c, struct entry *e)
{
    if (e->in_id) {
        id_unlink(c, e);
    }
    if (e->in_edge) {
        edge_unlink(c, e);
    }
    if (e->dirty) {
        list_del(&c->dirty, e);
        c->ndirty--;
    } else {
        list_del(&c->lru, e);
    }
    c->bytes -= e->charge;
    c->entries--;
    inode_clear(&e->ino);
    free(e);
}

/* Move a clean entry to the dirty list (or keep it there). */
static void entry_make_dirty(struct cache *c, struct entry *e)
{
    if (!e->dirty) {
        list_del(&c->lru, e);
        list_push(&c->dirty, e);
        e->dirty = true;
        c->ndirty++;
    }
}

static void edge_tombstone(struct cache *c, bn_ino parent, const char *name)
{
    struct entry *e = edge_find(c, parent, name);

    if (e != NULL) {
        /* Whatever sits there (a clean copy, another tombstone) goes. */
        entry_destroy(c, e);
    }
    e = entry_new(c, ENTRY_EDGE);
    e->ino.parent = parent;
    e->ino.name = bn_strdup(name);
    e->ino.owner = bn_strdup("");
    e->ino.group = bn_strdup("");
    edge_link(c, e);
    list_push(&c->dirty, e);
    e->dirty = true;
    c->ndirty++;
    entry_charge(c, e);
}

/* The table size for @n entries after a shrink: a quarter full at most
 * tables are halved, so a burst of dirty entries does not leave the cache
 * holding bucket arrays sized for the burst. */
static size_t shrunk_size(const struct table *t)
{
    size_t nb = t->nb;
    while (nb > TABLE_MIN && t->n * 4 < nb) {
        nb /= 2;
    }
    return nb;
}

static void evict(struct cache *c)
{
    while (c->bytes > c->budget && c->lru.tail != NULL) {
        entry_destroy(c, c->lru.tail);
        c->evictions++;
    }
    /* Then the tables, sized by what is left. */
    size_t nb = shrunk_size(&c->by_id);
    if (nb != c->by_id.nb) {
        id_resize(c, nb);
    }
    nb = shrunk_size(&c->by_edge);
    if (nb != c->by_edge.nb) {
        edge_resize(c, nb); /* smaller tables: bytes only go down */
    }
}

/* ---- public ------------------------------------------------------------- */

struct cache *cache_new(uint64_t budget_bytes)
{
    struct cache *c = bn_calloc(1, sizeof(*c));

    pthread_mutex_init(&c->mu, NULL);
    c->budget = budget_bytes;
    table_init(&c->by_id);
    table_init(&c->by_edge);
    c->bytes = (c->by_id.nb + c->by_edge.nb) * sizeof(struct entry *);
    return c;
}

void cache_free(struct cache *c)
{
    if (c == NULL) {
        return;
    }
    while (c->lru.head != NULL) {
        entry_destroy(c, c->lru.head);
    }
    while (c->dirty.head != NULL) {
        entry_destroy(c, c->dirty.head);
    }
    free(c->by_id.b);
    free(c->by_edge.b);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static int answer(struct cache *c, struct entry *e, struct inode *out)
{
    if (e == NULL) {
        c->misses++;
        return CACHE_MISS;
    }
    c->hits++;
    if (e->kind == ENTRY_EDGE || e->gone) {
        return CACHE_GONE;
    }
    if (!e->dirty) {
        list_del(&c->lru, e);
        list_push(&c->lru, e);
    }
    inode_copy(out, &e->ino);
    return CACHE_HIT;
}

int cache_get(struct cache *c, bn_ino ino, struct inode *out, uint64_t *gen)
{
    int rc;

    pthread_mutex_lock(&c->mu);
    rc = answer(c, id_find(c, ino), out);
    if (gen != NULL) {
        *gen = c->gen;
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int cache_lookup(struct cache *c, bn_ino parent, const char *name,
                 struct inode *out, uint64_t *gen)
{
    int rc;

    pthread_mutex_lock(&c->mu);
    rc = answer(c, edge_find(c, parent, name), out);
    if (gen != NULL) {
        *gen = c->gen;
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

void cache_fill(struct cache *c, const struct inode *ino, uint64_t gen)
{
    struct entry *e;

    pthread_mutex_lock(&c->mu);
    if (c->budget == 0 || gen != c->gen || id_find(c, ino->id) != NULL ||
        (ino->parent != 0 && edge_find(c, ino->parent, ino->name) != NULL)) {
        goto out;
    }
    e = entry_new(c, ENTRY_INODE);
    inode_copy(&e->ino, ino);
    id_link(c, e);
    if (ino->parent != 0) {
        edge_link(c, e);
    }
    list_push(&c->lru, e);
    entry_charge(c, e);
    evict(c);
out:
    pthread_mutex_unlock(&c->mu);
}

void cache_put_dirty(struct cache *c, const struct inode *ino)
{
    struct entry *e;
    struct entry *other;

    pthread_mutex_lock(&c->mu);
    e = id_find(c, ino->id);
    if (e != NULL && e->in_edge &&
        (e->ino.parent != ino->parent || strcmp(e->ino.name, ino->name) != 0)) {
        /* The inode moves: its old edge must read as gone until commit. */
        bn_ino old_parent = e->ino.parent;
        char *old_name = bn_strdup(e->ino.name);

        edge_unlink(c, e);
        edge_tombstone(c, old_parent, old_name);
        free(old_name);
    }
    if (e == NULL) {
        e = entry_new(c, ENTRY_INODE);
        e->ino.id = ino->id;
        id_link(c, e);
        list_push(&c->lru, e);
    }
    entry_make_dirty(c, e);
    if (!e->in_edge && ino->parent != 0) {
        other = edge_find(c, ino->parent, ino->name);
        if (other != NULL) {
            assert(other != e);
            entry_destroy(c, other);
        }
    }
    if (e->in_edge) {
        edge_unlink(c, e);
    }
    inode_clear(&e->ino);
    inode_copy(&e->ino, ino);
    e->gone = false;
    if (ino->parent != 0) {
        edge_link(c, e);
    }
    entry_charge(c, e);
    pthread_mutex_unlock(&c->mu);
}

void cache_remove_dirty(struct cache *c, const struct inode *ino)
{
    struct entry *e;

    pthread_mutex_lock(&c->mu);
    e = id_find(c, ino->id);
    if (e != NULL) {
        entry_destroy(c, e);
    }
    e = entry_new(c, ENTRY_INODE);
    e->ino.id = ino->id;
    e->ino.name = bn_strdup("");
    e->ino.owner = bn_strdup("");
    e->ino.group = bn_strdup("");
    e->gone = true;
    id_link(c, e);
    list_push(&c->dirty, e);
    e->dirty = true;
    c->ndirty++;
    entry_charge(c, e);
    if (ino->parent != 0) {
        edge_tombstone(c, ino->parent, ino->name);
    }
    pthread_mutex_unlock(&c->mu);
}

void cache_drop(struct cache *c, bn_ino ino)
{
    struct entry *e;

    pthread_mutex_lock(&c->mu);
    e = id_find(c, ino);
    if (e != NULL) {
        entry_destroy(c, e);
    }
    pthread_mutex_unlock(&c->mu);
}

void cache_dirty_children(struct cache *c, bn_ino parent, const char *after,
                          struct inode **live, size_t *nlive, char ***gone,
                          size_t *ngone)
{
    size_t cap_live = 0;
    size_t cap_gone = 0;

    *live = NULL;
    *gone = NULL;
    *nlive = *ngone = 0;
    pthread_mutex_lock(&c->mu);
    for (struct entry *e = c->dirty.head; e != NULL; e = e->next) {
        if (e->ino.parent != parent || e->ino.name == NULL) {
            continue;
        }
        if (e->kind == ENTRY_EDGE) {
            if (*ngone == cap_gone) {
                cap_gone = cap_gone > 0 ? cap_gone * 2 : 16;
                *gone = bn_realloc(*gone, cap_gone * sizeof(**gone));
            }
            (*gone)[(*ngone)++] = bn_strdup(e->ino.name);
        } else if (!e->gone && (after == NULL || after[0] == '\0' ||
                                strcmp(e->ino.name, after) > 0)) {
            if (*nlive == cap_live) {
                cap_live = cap_live > 0 ? cap_live * 2 : 16;
                *live = bn_realloc(*live, cap_live * sizeof(**live));
            }
            inode_copy(&(*live)[(*nlive)++], &e->ino);
        }
    }
    pthread_mutex_unlock(&c->mu);
}

bool cache_is_dirty(struct cache *c, bn_ino ino)
{
    struct entry *e;
    bool dirty;

    pthread_mutex_lock(&c->mu);
    e = id_find(c, ino);
    dirty = e != NULL && e->dirty;
    pthread_mutex_unlock(&c->mu);
    return dirty;
}

void cache_commit(struct cache *c)
{
    pthread_mutex_lock(&c->mu);
    while (c->dirty.head != NULL) {
        struct entry *e = c->dirty.head;

        if (e->kind == ENTRY_EDGE || e->gone) {
            entry_destroy(c, e);
            continue;
        }
        list_del(&c->dirty, e);
        e->dirty = false;
        c->ndirty--;
        list_push(&c->lru, e);
    }
    c->gen++;
    evict(c);
    pthread_mutex_unlock(&c->mu);
}

void cache_foreach(struct cache *c, void (*fn)(const struct inode *, void *),
                   void *arg)
{
    pthread_mutex_lock(&c->mu);
    for (struct entry *e = c->lru.head; e != NULL; e = e->next) {
        fn(&e->ino, arg);
    }
    pthread_mutex_unlock(&c->mu);
}

void cache_get_stats(struct cache *c, struct cache_stats *out)
{
    pthread_mutex_lock(&c->mu);
    out->entries = c->entries;
    out->bytes = c->bytes;
    out->budget = c->budget;
    out->hits = c->hits;
    out->misses = c->misses;
    out->evictions = c->evictions;
    out->dirty = c->ndirty;
    pthread_mutex_unlock(&c->mu);
}
