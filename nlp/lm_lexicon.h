/*
 * lm_lexicon: concept normalization — entity names to database ids.
 *
 * A lexicon maps normalised names to concepts ("MESH:D003920",
 * "NCBIGene:672", "DRUGBANK:DB00945", composites "MESH:D1|MESH:D2") of a
 * type (Chemical, Disease, Gene).  It is built once with an
 * lm_lexicon_builder fed by the importers (NLM MeSH XML, NCBI gene_info,
 * DrugBank vocabulary CSV, annotated PubTator corpora), saved to a versioned
 * checksummed binary file (models/lexicon.bin), and loaded read-only by the
 * pipeline: a loaded lm_lexicon is immutable, so any number of threads may
 * look names up concurrently without locking.
 *
 * Normal form (lm_lexicon_normalize): case-folded, accents folded, Greek
 * letters spelled out ("α" and "alpha" agree), every space, hyphen and
 * punctuation mark removed ("TNF-alpha" = "TNF α" = "tnfalpha"), British
 * spellings mapped to American ("tumour", "anaemia", "oedema"), the Roman
 * numerals II..IX (and I after type/class/grade/stage/phase/factor) written
 * as digits, and a possessive "'s" dropped.  Lookup tries the exact normal
 * form, then singular/plural variants of the last word; the lookup for a
 * tagged mention then also tries a few word-level rewrites.
 *
 * Ambiguity: several concepts may share a name.  Entries carry a score set
 * by their source (corpus annotation > preferred name > synonym); a lookup
 * returns the best-scored concept of the requested type and reports how
 * many candidates there were.  Gene names that are the official symbol of
 * some gene drop every gene for which they are only a synonym; names taken
 * from corpus annotations keep only their most frequent id per type.
 *
 * Concepts.  Each concept has a display name — its MeSH heading, a gene's
 * symbol and full name, a DrugBank drug's name; only a concept no
 * vocabulary names shows its most often annotated spelling — its MeSH tree
 * classes (lm_mesh.h) when MeSH was imported, and cross-references: a
 * DrugBank drug that is a MeSH chemical is merged into the MeSH concept
 * (lm_lexicon_builder_merge_xrefs), so one drug is one concept, with
 * "DRUGBANK:DB00316" kept as its cross-reference.  Type gating: when a MeSH
 * id's tree classes are known, it names a Disease only under C or F03 (or
 * a rare-disease supplementary record) and a Chemical only under D (or a
 * chemical supplementary record); a Gene id never names either.  Entries
 * that break this, whatever their source, are dropped when the lexicon is
 * built.
 */
#ifndef LM_LEXICON_H
#define LM_LEXICON_H

#include "../util/lm_buf.h"
#include "../util/lm_config.h"
#include "../util/lm_doc.h"
#include "../util/lm_error.h"
#include "lm_mesh.h"
#include "lm_pubtator.h"

#include <stddef.h>

/* Entity types are lm_ent_type (util/lm_doc.h); LM_ENT_ANY in a lookup
 * matches every type, and sets of types are masks of LM_ENT_BIT(type). */

/* Entry flags (the source of a name). */
enum {
    LM_LEX_PREFERRED = 1,   /* the concept's preferred name */
    LM_LEX_SYMBOL = 2,      /* official gene symbol */
    LM_LEX_SYNONYM = 4,
    LM_LEX_CORPUS = 8       /* seen annotated in a corpus */
};

/* Source scores used by the importers (higher wins). */
#define LM_LEX_SCORE_CORPUS 1.00
#define LM_LEX_SCORE_NAME 0.95      /* MeSH heading / supplementary name */
#define LM_LEX_SCORE_SYMBOL 0.90    /* gene symbol */
#define LM_LEX_SCORE_TERM 0.90      /* MeSH entry term */
#define LM_LEX_SCORE_FULLNAME 0.85  /* gene full name, DrugBank common name */
#define LM_LEX_SCORE_VARIANT 0.80   /* derived forms, e.g. un-inverted MeSH */
#define LM_LEX_SCORE_SYN 0.70       /* gene / drug synonyms */

/* Longest normal form indexed (bytes); longer names are skipped. */
#define LM_LEXICON_KEY_MAX 256

/* Writes the normal form of text[0..len) into out (NUL-terminated) and
 * returns its length, or 0 when it is empty, shorter than 2 bytes or does
 * not fit in cap.  Never allocates. */
size_t lm_lexicon_normalize(const char *text, size_t len, char *out, size_t cap);

/* Writes the namespaced form of a corpus id column: "D003920" and
 * "MESH:D003920" -> "MESH:D003920"; a Gene's "672" -> "NCBIGene:672";
 * composites "D1|D2", "D1+D2", "D1,D2" -> "MESH:D1|MESH:D2"; other prefixed
 * ids ("OMIM:1234") are kept.  Returns 0, -1 when the id is empty or -1
 * (no concept), or -2 when memory runs out (which callers must not take
 * for "no concept": the mention would silently lose its id). */
int lm_lexicon_qualify_id(lm_ent_type type, const char *id, lm_buf *out);

/* ---- building ---- */

typedef struct lm_lexicon_builder lm_lexicon_builder;
typedef struct lm_lexicon lm_lexicon;

lm_status lm_lexicon_builder_init(lm_lexicon_builder **out, lm_error *err);
void lm_lexicon_builder_free(lm_lexicon_builder *b);

/* Adds name -> concept.  name_for_concept (may be NULL) becomes the
 * concept's display name when it has none yet (LM_LEX_PREFERRED names
 * override).  count is the number of annotations behind a corpus entry (1
 * for dictionaries).  Names whose normal form is empty are ignored. */
lm_status lm_lexicon_builder_add(lm_lexicon_builder *b, lm_ent_type type, const char *id,
                                 const char *name, size_t name_len, unsigned flags,
                                 double score, unsigned count, lm_error *err);
/* Types recorded so far for a concept id (mask of LM_ENT_BIT), 0 if
 * unknown: lets the MeSH importer type supplementary records by the
 * headings they map to. */
unsigned lm_lexicon_builder_concept_types(const lm_lexicon_builder *b, const char *id);
/* Records MeSH tree classes (LM_MESH_*, ORed in) and tree numbers
 * ('|'-joined, may be NULL) for a concept id, which need not have names:
 * the type gating of lm_lexicon_builder_finish uses the classes for every
 * entry of that id; the tree numbers tell the pair classifier which
 * concepts are broader than others. */
lm_status lm_lexicon_builder_set_classes(lm_lexicon_builder *b, const char *id,
                                         unsigned classes, const char *trees, lm_error *err);
/* Sets a concept's display name (over any name seen so far, and over
 * later preferred names): a gene's "SYMBOL (full name)". */
lm_status lm_lexicon_builder_set_name(lm_lexicon_builder *b, const char *id, const char *name,
                                      lm_error *err);
/* Copies every entry of an existing lexicon (to extend a saved file). */
lm_status lm_lexicon_builder_add_lexicon(lm_lexicon_builder *b, const lm_lexicon *lex,
                                         lm_error *err);
/* Merges each concept of type whose id starts with from_ns ("DRUGBANK:")
 * into the concept of to_ns ("MESH:") it is the same thing as, found
 * through shared names, first evidence first: its preferred name is a
 * to_ns dictionary name (a MeSH heading or entry term) of exactly one
 * concept; else corpus annotations give its names one to_ns id (the most
 * annotated, when they all agree); else its synonyms are dictionary names
 * of exactly one to_ns concept.  Names shorter than 5 characters only count
 * as preferred names.  Every name of a merged concept becomes a synonym of
 * the target, whose display name it keeps (or takes, when the target has
 * none from a vocabulary), and the merged id becomes the target's
 * cross-reference.  Returns the number merged through *merged (may be
 * NULL). */
lm_status lm_lexicon_builder_merge_xrefs(lm_lexicon_builder *b, lm_ent_type type,
                                         const char *from_ns, const char *to_ns, size_t *merged,
                                         lm_error *err);
/* Builds the immutable lexicon; b stays valid and may be freed. */
lm_status lm_lexicon_builder_finish(lm_lexicon_builder *b, lm_lexicon **out, lm_error *err);

/* ---- importers (lm_lexicon_import.c) ---- */

typedef struct lm_lexicon_import_stats {
    size_t records;   /* descriptors, genes, drugs, or mentions read */
    size_t names;     /* names added */
    size_t skipped;   /* records not imported (wrong type, taxon, no id) */
} lm_lexicon_import_stats;

/* NLM MeSH descriptor (desc20XX.xml) or supplementary concept (supp20XX.xml)
 * XML, plain or gzip, streamed (lm_mesh_read).  Descriptors under tree C
 * (diseases, including C23 signs and symptoms) or F03 (mental disorders)
 * become Disease, under D Chemical; others are skipped as names but their
 * tree classes are kept for type gating.  The heading is the display name.
 * Supplementary records are typed by SCRClass (1 chemical, 2 protocol ->
 * Chemical, 3 rare disease -> Disease, 4 organism -> skipped) or, without
 * it, Disease when a mapped heading is a known Disease, else Chemical. */
lm_status lm_lexicon_import_mesh(lm_lexicon_builder *b, const char *path,
                                 lm_lexicon_import_stats *stats, lm_error *err);
/* NCBI gene_info (plain or gzip).  tax_id 0 imports every taxon.  Symbol and
 * Symbol_from_nomenclature_authority (LM_LEX_SYMBOL), Synonyms, full name
 * and description; with_designations also adds Other_designations. */
lm_status lm_lexicon_import_gene_info(lm_lexicon_builder *b, const char *path, long tax_id,
                                      int with_designations, lm_lexicon_import_stats *stats,
                                      lm_error *err);
/* DrugBank open vocabulary CSV: Common name and " | "-separated Synonyms
 * -> DRUGBANK:DBxxxxx, Chemical. */
lm_status lm_lexicon_import_drugbank(lm_lexicon_builder *b, const char *path,
                                     lm_lexicon_import_stats *stats, lm_error *err);
/* The mentions of an annotated corpus: text -> id (qualified), counted so
 * that each name keeps its most frequent id per type.  Mentions with id -1
 * or an unknown type are skipped. */
lm_status lm_lexicon_import_corpus(lm_lexicon_builder *b, const lm_pt_corpus *c,
                                   lm_lexicon_import_stats *stats, lm_error *err);
lm_status lm_lexicon_import_pubtator(lm_lexicon_builder *b, const char *path,
                                     lm_lexicon_import_stats *stats, lm_error *err);
/* lm_lexicon_import_corpus with every annotation counted weight times: the
 * corpus whose ids are scored (BC5CDR, MeSH as of its release; weight
 * LM_LEX_MAIN_CORPUS_WEIGHT) then wins a name that other corpora annotate
 * with a newer or different id. */
#define LM_LEX_MAIN_CORPUS_WEIGHT 100
lm_status lm_lexicon_import_corpus_weighted(lm_lexicon_builder *b, const lm_pt_corpus *c,
                                            unsigned weight, lm_lexicon_import_stats *stats,
                                            lm_error *err);

/* The MeSH files of a directory: the last (newest) desc20XX.xml[.gz] and
 * supp20XX.xml[.gz] by name, "" for a missing one.  Returns LM_OK even when
 * the directory does not exist. */
lm_status lm_lexicon_find_mesh(const char *dir, lm_buf *desc, lm_buf *supp, lm_error *err);
/* Imports the MeSH files lm_lexicon_find_mesh finds in dir (descriptors
 * first); none is not an error. */
lm_status lm_lexicon_import_mesh_dir(lm_lexicon_builder *b, const char *dir, lm_error *err);

/* ---- files ---- */

/* Writes the lexicon atomically (temporary file + rename).  Format: magic
 * "LMLEX\0\r\n", version, zlib-compressed payload, CRC-32 of header and
 * payload. */
lm_status lm_lexicon_save(const lm_lexicon *lex, const char *path, lm_error *err);
/* LM_ERR_IO when unreadable, LM_ERR_CORRUPT when the magic, version,
 * checksum or any internal offset is wrong.  The first load of a file
 * writes a mappable cache of it (util/lm_mapcache.h), which later loads
 * map instead of inflating and checking the file again. */
lm_status lm_lexicon_load(const char *path, lm_lexicon **out, lm_error *err);
/* Whether lex was mapped from its cache (for tests and `--verbose`). */
int lm_lexicon_is_mapped(const lm_lexicon *lex);
void lm_lexicon_free(lm_lexicon *lex);

/* The default lexicon file: [models] dir + "/lexicon.bin", else
 * "models/lexicon.bin".  cfg may be NULL. */
lm_status lm_lexicon_default_path(const lm_config *cfg, lm_buf *out, lm_error *err);

/* ---- lookup ---- */

typedef struct lm_lexicon_match {
    const char *id;       /* valid while the lexicon lives */
    const char *name;     /* the concept's display name */
    const char *xref;     /* cross-references ("DRUGBANK:DB00316"), "" if none */
    unsigned classes;     /* MeSH tree classes (LM_MESH_*), 0 when unknown */
    lm_ent_type type;
    double score;         /* entry score, x0.9 when found through a variant or
                             rewrite, x0.8 through a misspelling */
    unsigned flags;
    unsigned count;       /* corpus annotations behind the entry */
    int n_candidates;     /* concepts of this type (and namespace) under the name */
    int variant;          /* 0 exact normal form, 1 singular/plural variant,
                             2 word-level rewrite, 3 a misspelling one edit
                             away (both lm_lexicon_lookup_mention) */
} lm_lexicon_match;

/* Best concept for a mention of the given type (LM_ENT_ANY: any type).
 * Returns 1 and fills out when found, 0 otherwise. */
int lm_lexicon_lookup(const lm_lexicon *lex, lm_ent_type type, const char *text, size_t len,
                      lm_lexicon_match *out);
/* Every candidate under the first normal form that matches, best first;
 * returns how many were written (at most max). */
size_t lm_lexicon_lookup_all(const lm_lexicon *lex, lm_ent_type type, const char *text,
                             size_t len, lm_lexicon_match *out, size_t max);
/* Like lm_lexicon_lookup_all, restricted to ids starting with ns (e.g.
 * "MESH:" for BC5CDR, whose evaluation only knows MeSH ids; NULL or "" =
 * any).  A name found only under other namespaces is then "no match",
 * which costs a concept-level FN instead of an FN plus an FP. */
size_t lm_lexicon_lookup_ns(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                            const char *text, size_t len, lm_lexicon_match *out, size_t max);

/* Is the n-byte word w (any case) the name of a salt a drug is sold as
 * ("bupropion HCl", "fluphenazine enanthate")?  One list for both sides:
 * the tagger joins such a word to the Chemical mention before it
 * (lm_ner_post.c), and lm_lexicon_lookup_mention drops it to read the
 * drug, so every mention the tagger grows this way keeps its concept. */
int lm_lexicon_is_salt_word(const char *w, size_t n);

/* Lookup for a tagged mention: lm_lexicon_lookup_ns, and when that finds
 * nothing, word-level rewrites of the text, first known one wins: for
 * chemicals, salt and formulation words dropped ("bupropion HCl",
 * "netilmicin sulfate"), an element symbol, ion or simple formula read as
 * its name ("K", "Ca(2+)", "CaCl2" = calcium chloride, "CCl4", "H2O") and
 * a leading locant ("5-hydroxyindoleacetic acid"); for diseases, one word
 * swapped for its synonym ("cardiac failure" = "heart failure"), the head
 * word's noun form ("dyskinetic", "parkinsonian"), leading modifiers of
 * course or severity dropped ("bilateral optic neuropathy"), harm to an
 * organ read as the organ's diseases ("retinal toxicity", "hepatic
 * impairment" = liver diseases), the same after rewording: a head written
 * first turned around ("cancer of the breast"), words that only say the
 * disease shows itself dropped ("tic-like symptoms", "syncopal attacks"),
 * a named infection without the words around it ("infected with hepatitis
 * C virus", "adenovirus disease" = adenovirus infections), a leading cause
 * dropped ("swallowing-induced"), an organ's lost function read as its
 * insufficiency or its diseases ("decreased renal function"), a type
 * written first ("type B hepatitis"), a raised pressure read as
 * hypertension ("elevated intraocular pressure"), and a name cut short of
 * the only concept whose names begin with it ("steatosis" = "steatosis,
 * liver"); for both, at last, one known name a single edit away
 * ("amphotercin").  Matches through a rewrite have variant 2, through a
 * misspelling 3.  Free-text search should keep to
 * lm_lexicon_lookup: the rewrites assume the text is one mention. */
size_t lm_lexicon_lookup_mention(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                                 const char *text, size_t len, lm_lexicon_match *out,
                                 size_t max);

/* Whether concept id has a name that text (12 or more letters in normal
 * form) misspells by at most two edits, among the names sorted next to
 * text's normal form (sharing its first three): for a long form that
 * names the concept its abbreviation reads as, misspelled
 * ("3'-azido-3'dideoxythymidine (AZT)": 3'-azido-3'-deoxythymidine,
 * zidovudine). */
int lm_lexicon_has_near_name(const lm_lexicon *lex, const char *id, const char *text,
                             size_t len);

/* A Disease mention naming several diseases at once, read as its parts'
 * ids (each as lm_lexicon_lookup_mention finds it), '|'-joined in written
 * order, duplicates once: coordinated names ("ovarian and breast
 * carcinoma", "ventricular tachycardia and fibrillation", "renal or
 * hepatic toxicity") and two diseases side by side ("myxedema coma",
 * "postoperative delirium").  For mentions lm_lexicon_lookup_mention does
 * not know.  Returns 1 and fills ids (reset first), else 0; -1 (ids empty)
 * when memory runs out, which must not pass for "no reading". */
int lm_lexicon_lookup_composite(const lm_lexicon *lex, lm_ent_type type, const char *ns,
                                const char *text, size_t len, lm_buf *ids);

/* A concept by id ("MESH:D003920"): its display name, types (mask of
 * LM_ENT_BIT), MeSH classes and tree numbers, and cross-references.  Returns 1 when the
 * lexicon knows the id, 0 otherwise (out untouched). */
typedef struct lm_lexicon_concept {
    const char *id, *name, *xref;
    const char *trees;    /* MeSH tree numbers, '|'-joined, "" if none */
    unsigned types, classes;
} lm_lexicon_concept;
int lm_lexicon_get_concept(const lm_lexicon *lex, const char *id, lm_lexicon_concept *out);

typedef struct lm_lexicon_info {
    size_t n_concepts, n_names, n_entries;
} lm_lexicon_info;
void lm_lexicon_get_info(const lm_lexicon *lex, lm_lexicon_info *out);

#endif
