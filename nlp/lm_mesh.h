/*
 * lm_mesh: NLM's MeSH XML files, read record by record.
 *
 * Two files matter: the descriptors (desc20XX.xml: headings with entry
 * terms and tree numbers) and the supplementary concept records
 * (supp20XX.xml: mostly chemicals and rare diseases, each mapped to the
 * headings it is indexed under).  Both run to hundreds of megabytes, so
 * lm_mesh_read streams them (libxml2's xmlTextReader, plain or gzip) and
 * hands each record to a callback as soon as it closes; nothing but the
 * record being read is kept.  Elements are recognised by their path below
 * the record, so a cross-reference's name (a PharmacologicalAction's
 * DescriptorName, an allowable qualifier) never leaks into the record.
 *
 * Tree numbers are summarised as classes (LM_MESH_*): whether a descriptor
 * sits under C (diseases), C23 (signs and symptoms), F03 (mental
 * disorders), D (chemicals and drugs), and so on.  The lexicon uses them to
 * type concepts and to keep ids of the wrong branch away from a mention
 * type; the NER trainer uses them as dictionary features.
 */
#ifndef LM_MESH_H
#define LM_MESH_H

#include "../util/lm_error.h"

#include <stddef.h>

/* Classes of a MeSH record (a bit set). */
enum {
    LM_MESH_DISEASE = 1u << 0,        /* C, except C23 */
    LM_MESH_SYMPTOM = 1u << 1,        /* C23 pathological conditions, signs and symptoms */
    LM_MESH_MENTAL = 1u << 2,         /* F03 mental disorders */
    LM_MESH_CHEMICAL = 1u << 3,       /* D, except D12 and D27 */
    LM_MESH_PROTEIN = 1u << 4,        /* D12 amino acids, peptides and proteins */
    LM_MESH_ACTION = 1u << 5,         /* D27 chemical actions and uses (drug classes) */
    LM_MESH_ANATOMY = 1u << 6,        /* A */
    LM_MESH_ORGANISM = 1u << 7,       /* B */
    LM_MESH_OTHER = 1u << 8,          /* every other tree (E, F except F03, G, ...) */
    LM_MESH_SUPP_CHEMICAL = 1u << 9,  /* supplementary record, chemical or protocol */
    LM_MESH_SUPP_DISEASE = 1u << 10,  /* supplementary record, rare disease */
    LM_MESH_SUPP_ORGANISM = 1u << 11  /* supplementary record, organism */
};

/* Classes a Disease / Chemical mention's MeSH id may have. */
#define LM_MESH_DISEASE_CLASSES \
    (LM_MESH_DISEASE | LM_MESH_SYMPTOM | LM_MESH_MENTAL | LM_MESH_SUPP_DISEASE)
#define LM_MESH_CHEMICAL_CLASSES \
    (LM_MESH_CHEMICAL | LM_MESH_PROTEIN | LM_MESH_ACTION | LM_MESH_SUPP_CHEMICAL)

/* Class of one tree number ("C10.228.662.600" -> LM_MESH_DISEASE). */
unsigned lm_mesh_tree_class(const char *tree_number);

typedef struct lm_mesh_record {
    int supplementary;              /* 0 descriptor, 1 supplementary concept record */
    const char *ui;                 /* "D003920", "C000002" */
    const char *name;               /* DescriptorName / SupplementalRecordName */
    const char *const *terms;       /* every entry term of every concept */
    size_t n_terms;
    const char *const *trees;       /* descriptors: tree numbers */
    size_t n_trees;
    const char *const *headings;    /* supplementary: mapped descriptor UIs, '*' stripped */
    size_t n_headings;
    int scr_class;                  /* supplementary: SCRClass 1..4, 0 when absent */
    unsigned classes;               /* LM_MESH_* from the trees or the SCRClass (0 when a
                                       supplementary record has no SCRClass) */
} lm_mesh_record;

/* Calls cb for every record of a desc20XX.xml or supp20XX.xml file (plain
 * or gzip); the record is valid during the call.  A callback error stops
 * the read and is returned.  LM_ERR_IO when the file cannot be opened,
 * LM_ERR_FORMAT when its root is neither DescriptorRecordSet nor
 * SupplementalRecordSet, LM_ERR_PARSE on malformed XML (with the line).
 * The DOCTYPE's DTD is never fetched. */
lm_status lm_mesh_read(const char *path,
                       lm_status (*cb)(void *ctx, const lm_mesh_record *r, lm_error *err),
                       void *ctx, lm_error *err);

#endif
