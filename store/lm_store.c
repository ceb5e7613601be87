/*
 * lm_store: the SQLite database behind litmine.
 *
 * LONG-FILE: every statement of the store in one place by design (see
 * below); to split schema/migrations from article writes once the
 * concurrent store work has merged.
 *
 * Design.  Every SQL statement the program runs is a constant string in this
 * file, prepared once when the store opens and reused (reset + clear
 * bindings) for each call; values only ever travel as bound parameters.  The
 * schema evolves through an ordered list of migration scripts: a database
 * records in schema_version how many it has applied, and opening it applies
 * the missing ones, each in its own IMMEDIATE transaction so that two
 * processes opening a fresh file at the same time cannot both migrate it.
 * Scripts are never edited once released; a schema change is a new step.
 *
 * Before anything is written the file is read once (sqlite_master), so a
 * file that is not a database is reported without being touched.
 *
 * Articles are replaced by DELETE + INSERT rather than UPDATE so that ON
 * DELETE CASCADE removes everything derived from the old text (sentences,
 * mentions, ...): derived rows describe character offsets into a title and
 * abstract that no longer exist.  A 64-bit content hash lets re-ingesting a
 * file skip identical articles without writing anything.
 */
#include "lm_store.h"
#include "lm_store_internal.h"


#include "../util/lm_buf.h"

#include <sqlite3.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- schema ------------------------------------------------------------
 * Column "end" is quoted everywhere: END is an SQL keyword. */

static const char migration_1[] =
    "CREATE TABLE schema_version (\n"
    "    id      INTEGER PRIMARY KEY CHECK (id = 1),\n"
    "    version INTEGER NOT NULL\n"
    ");\n"
    "INSERT INTO schema_version (id, version) VALUES (1, 0);\n"
    "CREATE TABLE articles (\n"
    "    pmid         INTEGER PRIMARY KEY,\n"
    "    version      INTEGER NOT NULL,\n"
    "    title        TEXT NOT NULL DEFAULT '',\n"
    "    abstract     TEXT NOT NULL DEFAULT '',\n"
    "    journal      TEXT,\n"
    "    year         INTEGER,\n"
    "    doi          TEXT,\n"
    "    language     TEXT,\n"
    "    date_revised TEXT,\n"
    "    is_book      INTEGER NOT NULL DEFAULT 0,\n"
    "    content_hash INTEGER NOT NULL,\n"
    "    source       TEXT,\n"
    "    ingested_at  TEXT NOT NULL\n"
    ");\n"
    "CREATE INDEX articles_year ON articles (year);\n"
    /* WITHOUT ROWID: the (pmid, position) key is the natural clustering,
     * so rows of one article sit together and no second b-tree is kept. */
    "CREATE TABLE mesh_headings (\n"
    "    pmid        INTEGER NOT NULL REFERENCES articles (pmid) ON DELETE CASCADE,\n"
    "    position    INTEGER NOT NULL,\n"
    "    ui          TEXT,\n"
    "    name        TEXT,\n"
    "    major_topic INTEGER NOT NULL DEFAULT 0,\n"
    "    PRIMARY KEY (pmid, position)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE publication_types (\n"
    "    pmid     INTEGER NOT NULL REFERENCES articles (pmid) ON DELETE CASCADE,\n"
    "    position INTEGER NOT NULL,\n"
    "    ui       TEXT,\n"
    "    name     TEXT,\n"
    "    PRIMARY KEY (pmid, position)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE ingest_log (\n"
    "    id          INTEGER PRIMARY KEY,\n"
    "    source      TEXT NOT NULL,\n"
    "    kind        TEXT NOT NULL CHECK (kind IN ('file', 'stdin', 'eutils', 'sync')),\n"
    "    size_bytes  INTEGER,\n"
    "    md5         TEXT,\n"
    "    status      TEXT NOT NULL\n"
    "                CHECK (status IN ('running', 'done', 'failed', 'interrupted')),\n"
    "    started_at  TEXT NOT NULL,\n"
    "    finished_at TEXT,\n"
    "    articles    INTEGER NOT NULL DEFAULT 0,\n"
    "    inserted    INTEGER NOT NULL DEFAULT 0,\n"
    "    replaced    INTEGER NOT NULL DEFAULT 0,\n"
    "    unchanged   INTEGER NOT NULL DEFAULT 0,\n"
    "    older       INTEGER NOT NULL DEFAULT 0,\n"
    "    deleted     INTEGER NOT NULL DEFAULT 0,\n"
    "    failed      INTEGER NOT NULL DEFAULT 0,\n"
    "    error_text  TEXT\n"
    ");\n"
    "CREATE INDEX ingest_log_source ON ingest_log (source, size_bytes);\n"
    "CREATE TABLE deleted_pmids (\n"
    "    pmid       INTEGER PRIMARY KEY,\n"
    "    deleted_at TEXT NOT NULL,\n"
    "    source     TEXT\n"
    ");\n";

static const char migration_2[] =
    "CREATE TABLE sentences (\n"
    "    pmid    INTEGER NOT NULL REFERENCES articles (pmid) ON DELETE CASCADE,\n"
    "    idx     INTEGER NOT NULL,\n"
    "    start   INTEGER NOT NULL,\n"
    "    \"end\"   INTEGER NOT NULL,\n"
    "    PRIMARY KEY (pmid, idx)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE mentions (\n"
    "    id         INTEGER PRIMARY KEY,\n"
    "    pmid       INTEGER NOT NULL REFERENCES articles (pmid) ON DELETE CASCADE,\n"
    "    start      INTEGER NOT NULL,\n"
    "    \"end\"      INTEGER NOT NULL,\n"
    "    text       TEXT NOT NULL,\n"
    "    type       TEXT NOT NULL,\n"
    "    concept_id TEXT,\n"
    "    sentence   INTEGER,\n"
    "    score      REAL,\n"
    "    model      TEXT\n"
    ");\n"
    "CREATE INDEX mentions_pmid ON mentions (pmid);\n"
    "CREATE INDEX mentions_concept ON mentions (concept_id);\n"
    "CREATE TABLE abbreviations (\n"
    "    pmid       INTEGER NOT NULL REFERENCES articles (pmid) ON DELETE CASCADE,\n"
    "    short_form TEXT NOT NULL,\n"
    "    long_form  TEXT NOT NULL,\n"
    "    start      INTEGER,\n"
    "    \"end\"      INTEGER\n"
    ");\n"
    /* Without it every cascade from articles would scan the whole table. */
    "CREATE INDEX abbreviations_pmid ON abbreviations (pmid);\n";

/* Saved E-utilities searches for nightly runs.  done_through is the last
 * date whose whole window is stored; it only moves forward after a run's
 * window is committed, so a run that dies is simply repeated. */
static const char migration_3[] =
    "CREATE TABLE watches (\n"
    "    name         TEXT PRIMARY KEY,\n"
    "    query        TEXT NOT NULL,\n"
    "    datetype     TEXT NOT NULL DEFAULT 'edat'\n"
    "                 CHECK (datetype IN ('edat', 'pdat', 'mdat')),\n"
    "    since        TEXT,\n"
    "    done_through TEXT,\n"
    "    created_at   TEXT NOT NULL,\n"
    "    last_run_at  TEXT,\n"
    "    last_status  TEXT,\n"
    "    last_count   INTEGER,\n"
    "    last_error   TEXT\n"
    ");\n";

/* Search (store/lm_search.c, store/lm_vectors.c).  search_fts indexes
 * title and abstract as an external-content FTS5 table over articles, so
 * the text is stored once.  Ingest only pays for a cheap trigger that queues
 * new PMIDs in search_pending; `litmine index refresh` (and the end of every
 * ingest) tokenizes them.  search_indexed records exactly which articles the
 * FTS index holds, because an external-content 'delete' must be given the
 * very text that was indexed and must never be issued for a row that was
 * not: the delete trigger runs it only for indexed rows, while OLD still
 * holds that text.  embed_models versions the embedding models; vectors
 * records which model made each vector (format: 0 float32, 1 float16,
 * 2 int8 with a float32 scale in front). */
static const char migration_4[] =
    "CREATE VIRTUAL TABLE search_fts USING fts5(\n"
    "    title, abstract, content='articles', content_rowid='pmid',\n"
    "    tokenize='porter unicode61 remove_diacritics 2'\n"
    ");\n"
    "CREATE TABLE search_indexed (pmid INTEGER PRIMARY KEY);\n"
    "CREATE TABLE search_pending (pmid INTEGER PRIMARY KEY);\n"
    "INSERT INTO search_pending (pmid) SELECT pmid FROM articles;\n"
    "CREATE TRIGGER search_articles_ai AFTER INSERT ON articles BEGIN\n"
    "    INSERT OR IGNORE INTO search_pending (pmid) VALUES (NEW.pmid);\n"
    "END;\n"
    "CREATE TRIGGER search_articles_ad AFTER DELETE ON articles\n"
    "WHEN EXISTS (SELECT 1 FROM search_indexed WHERE pmid = OLD.pmid) BEGIN\n"
    "    INSERT INTO search_fts (search_fts, rowid, title, abstract)\n"
    "        VALUES ('delete', OLD.pmid, OLD.title, OLD.abstract);\n"
    "    DELETE FROM search_indexed WHERE pmid = OLD.pmid;\n"
    "END;\n"
    "CREATE TRIGGER search_articles_au AFTER UPDATE OF pmid, title, abstract ON articles\n"
    "BEGIN\n"
    "    INSERT INTO search_fts (search_fts, rowid, title, abstract)\n"
    "        SELECT 'delete', OLD.pmid, OLD.title, OLD.abstract\n"
    "        WHERE EXISTS (SELECT 1 FROM search_indexed WHERE pmid = OLD.pmid);\n"
    "    DELETE FROM search_indexed WHERE pmid = OLD.pmid;\n"
    "    INSERT OR IGNORE INTO search_pending (pmid) VALUES (NEW.pmid);\n"
    "END;\n"
    "CREATE TABLE embed_models (\n"
    "    id          INTEGER PRIMARY KEY,\n"
    "    kind        TEXT NOT NULL,\n"
    "    dim         INTEGER NOT NULL CHECK (dim > 0),\n"
    "    state       TEXT NOT NULL DEFAULT 'ready'\n"
    "                CHECK (state IN ('building', 'ready', 'retired')),\n"
    "    created_at  TEXT NOT NULL,\n"
    "    n_docs      INTEGER,\n"
    "    fit_seconds REAL,\n"
    "    params      TEXT,\n"
    "    data        BLOB,\n"
    "    file        TEXT\n"
    ");\n"
    "CREATE TABLE vectors (\n"
    "    model_id INTEGER NOT NULL REFERENCES embed_models (id) ON DELETE CASCADE,\n"
    "    pmid     INTEGER NOT NULL REFERENCES articles (pmid) ON DELETE CASCADE,\n"
    "    format   INTEGER NOT NULL CHECK (format IN (0, 1, 2)),\n"
    "    vec      BLOB NOT NULL,\n"
    "    PRIMARY KEY (model_id, pmid)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX vectors_pmid ON vectors (pmid);\n";

/* Chemical–disease relations, one row per (article, chemical concept,
 * disease concept), indexed both ways for "what treats X" / "what does Y
 * cause" queries.  Evidence offsets are code points into title + " " +
 * abstract. */
static const char migration_5[] =
    "CREATE TABLE pairs (\n"
    "    pmid           INTEGER NOT NULL REFERENCES articles (pmid) ON DELETE CASCADE,\n"
    "    chemical_id    TEXT NOT NULL,\n"
    "    chemical_text  TEXT,\n"
    "    disease_id     TEXT NOT NULL,\n"
    "    disease_text   TEXT,\n"
    "    relation       TEXT NOT NULL,\n"
    "    score          REAL NOT NULL,\n"
    "    sentence       INTEGER,\n"
    "    evidence_start INTEGER,\n"
    "    evidence_end   INTEGER,\n"
    "    PRIMARY KEY (pmid, chemical_id, disease_id)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX pairs_chemical ON pairs (chemical_id);\n"
    "CREATE INDEX pairs_disease ON pairs (disease_id);\n";

/* The lexical index (store/lm_lexindex.c): segments of per-stem posting
 * lists, the segment holding each article's current postings, and the
 * postings made dead by a later version or a deletion (readers skip them,
 * merges drop them).  Postings are keyed (segment, term) so that a new
 * segment is appended at the end of the b-tree; queries find a term's
 * rows through the small term index.  The triggers keep it exact whatever path changes an
 * article; re-queueing every article lets the next refresh build it. */
static const char migration_6[] =
    "CREATE TABLE lex_segments (\n"
    "    id           INTEGER PRIMARY KEY,\n"
    "    n_docs       INTEGER NOT NULL,\n"
    "    len_title    INTEGER NOT NULL,\n"
    "    len_abstract INTEGER NOT NULL,\n"
    "    created_at   TEXT NOT NULL\n"
    ");\n"
    "CREATE TABLE lex_postings (\n"
    "    segment INTEGER NOT NULL,\n"
    "    term    TEXT NOT NULL,\n"
    "    df      INTEGER NOT NULL,\n"
    "    data    BLOB NOT NULL,\n"
    "    PRIMARY KEY (segment, term)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX lex_postings_term ON lex_postings (term);\n"
    "CREATE TABLE lex_docs (\n"
    "    pmid         INTEGER PRIMARY KEY,\n"
    "    segment      INTEGER NOT NULL,\n"
    "    len_title    INTEGER NOT NULL,\n"
    "    len_abstract INTEGER NOT NULL\n"
    ");\n"
    "CREATE INDEX lex_docs_segment ON lex_docs (segment);\n"
    "CREATE TABLE lex_dead (\n"
    "    segment INTEGER NOT NULL,\n"
    "    pmid    INTEGER NOT NULL,\n"
    "    PRIMARY KEY (segment, pmid)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TRIGGER lex_docs_ad AFTER DELETE ON lex_docs BEGIN\n"
    "    INSERT OR IGNORE INTO lex_dead (segment, pmid) VALUES (OLD.segment, OLD.pmid);\n"
    "END;\n"
    "CREATE TRIGGER lex_articles_ad AFTER DELETE ON articles BEGIN\n"
    "    DELETE FROM lex_docs WHERE pmid = OLD.pmid;\n"
    "END;\n"
    "CREATE TRIGGER lex_articles_au AFTER UPDATE OF pmid, title, abstract ON articles BEGIN\n"
    "    DELETE FROM lex_docs WHERE pmid = OLD.pmid;\n"
    "    INSERT OR IGNORE INTO search_pending (pmid) VALUES (NEW.pmid);\n"
    "END;\n"
    "INSERT OR IGNORE INTO search_pending (pmid) SELECT pmid FROM articles;\n";

/* A generation per embedding model that moves whenever one of its
 * vectors is inserted, updated or deleted (it once validated a cache
 * file; since migration 16 a compaction of the vector file checks with it
 * that no vector moved while the file was written).  Counters start at a
 * random value and move by random steps. */
static const char migration_7[] =
    "CREATE TABLE vector_generations (\n"
    "    model_id   INTEGER PRIMARY KEY,\n"
    "    generation INTEGER NOT NULL\n"
    ");\n"
    "CREATE TRIGGER vectors_generation_ai AFTER INSERT ON vectors BEGIN\n"
    "    INSERT INTO vector_generations (model_id, generation)\n"
    "        VALUES (NEW.model_id, abs(random() % 1000000000000))\n"
    "        ON CONFLICT (model_id) DO UPDATE SET generation = generation + 1 + abs(random() % 1000000);\n"
    "END;\n"
    "CREATE TRIGGER vectors_generation_au AFTER UPDATE ON vectors BEGIN\n"
    "    UPDATE vector_generations SET generation = generation + 1 + abs(random() % 1000000)\n"
    "        WHERE model_id IN (OLD.model_id, NEW.model_id);\n"
    "END;\n"
    "CREATE TRIGGER vectors_generation_ad AFTER DELETE ON vectors BEGIN\n"
    "    UPDATE vector_generations SET generation = generation + 1 + abs(random() % 1000000)\n"
    "        WHERE model_id = OLD.model_id;\n"
    "END;\n"
    "INSERT INTO vector_generations (model_id, generation)\n"
    "    SELECT id, abs(random() % 1000000000000) FROM embed_models;\n";

/* The re-ingest guard moves from MD5 to XXH3-128 (util/lm_digest.h);
 * rows logged before keep their MD5 and are still matched by it. */
static const char migration_8[] = "ALTER TABLE ingest_log ADD COLUMN xxh128 TEXT;\n";

/* Bad articles a source held and litmine did not store (an invalid PMID,
 * a field over the parser's cap) are counted, not dropped silently. */
static const char migration_9[] =
    "ALTER TABLE ingest_log ADD COLUMN rejected INTEGER NOT NULL DEFAULT 0;\n";

/* Which models made the stored annotations: one row per (stage, model)
 * that ever wrote rows here, the model named by the digests of its files
 * (pipeline/lm_stages.c).  Two rows for one stage mean the database mixes
 * the output of two models.  `litmine merge` refuses shards whose models
 * differ from the target's, since their rows would not be what one ingest
 * of the same files gives. */
static const char migration_10[] =
    "CREATE TABLE stage_models (\n"
    "    stage      TEXT NOT NULL,\n"
    "    model      TEXT NOT NULL,\n"
    "    first_used TEXT NOT NULL,\n"
    "    PRIMARY KEY (stage, model)\n"
    ") WITHOUT ROWID;\n";

/* The whole PubMed record: authors (with ORCID and affiliations),
 * keywords, grants, references and linked notices (ReferenceList,
 * CommentsCorrections), MeSH qualifiers, the ChemicalList and the PMCID.
 * Articles stored before are not rewritten: their lists fill in when they
 * are ingested again (`ingest --force`, or the next update file that
 * carries them), since the content hash now covers these fields. */
static const char migration_11[] =
    "ALTER TABLE articles ADD COLUMN pmcid TEXT;\n"
    "CREATE TABLE authors (\n"
    "    pmid            INTEGER NOT NULL REFERENCES articles (pmid) ON DELETE CASCADE,\n"
    "    position        INTEGER NOT NULL,\n"
    "    last_name       TEXT,\n"
    "    fore_name       TEXT,\n"
    "    initials        TEXT,\n"
    "    collective_name TEXT,\n"
    "    orcid           TEXT,\n"
    "    PRIMARY KEY (pmid, position)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX authors_orcid ON authors (orcid) WHERE orcid IS NOT NULL;\n"
    "CREATE TABLE author_affiliations (\n"
    "    pmid        INTEGER NOT NULL REFERENCES articles (pmid) ON DELETE CASCADE,\n"
    "    author      INTEGER NOT NULL,\n"
    "    position    INTEGER NOT NULL,\n"
    "    affiliation TEXT NOT NULL,\n"
    "    PRIMARY KEY (pmid, author, position)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE keywords (\n"
    "    pmid     INTEGER NOT NULL REFERENCES articles (pmid) ON DELETE CASCADE,\n"
    "    position INTEGER NOT NULL,\n"
    "    keyword  TEXT NOT NULL,\n"
    "    major    INTEGER NOT NULL DEFAULT 0,\n"
    "    PRIMARY KEY (pmid, position)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE grants (\n"
    "    pmid     INTEGER NOT NULL REFERENCES articles (pmid) ON DELETE CASCADE,\n"
    "    position INTEGER NOT NULL,\n"
    "    grant_id TEXT,\n"
    "    acronym  TEXT,\n"
    "    agency   TEXT,\n"
    "    country  TEXT,\n"
    "    PRIMARY KEY (pmid, position)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE article_references (\n"
    "    pmid     INTEGER NOT NULL REFERENCES articles (pmid) ON DELETE CASCADE,\n"
    "    position INTEGER NOT NULL,\n"
    "    kind     TEXT NOT NULL,\n"
    "    citation TEXT,\n"
    "    ref_pmid INTEGER,\n"
    "    doi      TEXT,\n"
    "    pmcid    TEXT,\n"
    "    PRIMARY KEY (pmid, position)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX article_references_ref_pmid ON article_references (ref_pmid)\n"
    "    WHERE ref_pmid IS NOT NULL;\n"
    "CREATE TABLE mesh_qualifiers (\n"
    "    pmid        INTEGER NOT NULL REFERENCES articles (pmid) ON DELETE CASCADE,\n"
    "    heading     INTEGER NOT NULL,\n"
    "    position    INTEGER NOT NULL,\n"
    "    ui          TEXT,\n"
    "    name        TEXT,\n"
    "    major_topic INTEGER NOT NULL DEFAULT 0,\n"
    "    PRIMARY KEY (pmid, heading, position)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE chemicals (\n"
    "    pmid            INTEGER NOT NULL REFERENCES articles (pmid) ON DELETE CASCADE,\n"
    "    position        INTEGER NOT NULL,\n"
    "    ui              TEXT,\n"
    "    name            TEXT NOT NULL,\n"
    "    registry_number TEXT,\n"
    "    PRIMARY KEY (pmid, position)\n"
    ") WITHOUT ROWID;\n";

/* Concept watches (store/lm_store_concept_watch.c): alerts on a concept,
 * or a pair of concepts, in what each run stores.  reported_through is the
 * ingested_at of the newest article a report has covered. */
static const char migration_12[] =
    "CREATE TABLE concept_watches (\n"
    "    name             TEXT PRIMARY KEY,\n"
    "    concept_id       TEXT NOT NULL,\n"
    "    pair_with        TEXT,\n"
    "    relation         TEXT,\n"
    "    created_at       TEXT NOT NULL,\n"
    "    reported_through TEXT,\n"
    "    last_report_at   TEXT,\n"
    "    last_articles    INTEGER NOT NULL DEFAULT 0,\n"
    "    last_pairs       INTEGER NOT NULL DEFAULT 0\n"
    ");\n";

/* One full-text index: the lexical index (migration 6) answers queries
 * and `export --query`, so the FTS5 copy of every title and abstract
 * (about 0.8 KB per abstract) goes, with its triggers.  search_indexed
 * and search_pending stay: they are the lexical index's queue.  Nothing
 * but the derived FTS5 table is removed (the notice below says so). */
static const char migration_13[] =
    "DROP TRIGGER IF EXISTS search_articles_ad;\n"
    "DROP TRIGGER IF EXISTS search_articles_au;\n"
    "DROP TRIGGER IF EXISTS search_articles_ai;\n"
    "DROP TABLE IF EXISTS search_fts;\n"
    "CREATE TRIGGER search_articles_ai AFTER INSERT ON articles BEGIN\n"
    "    INSERT OR IGNORE INTO search_pending (pmid) VALUES (NEW.pmid);\n"
    "END;\n"
    "CREATE TRIGGER search_articles_ad AFTER DELETE ON articles BEGIN\n"
    "    DELETE FROM search_indexed WHERE pmid = OLD.pmid;\n"
    "END;\n"
    "CREATE TRIGGER search_articles_au AFTER UPDATE OF pmid, title, abstract ON articles\n"
    "BEGIN\n"
    "    DELETE FROM search_indexed WHERE pmid = OLD.pmid;\n"
    "    INSERT OR IGNORE INTO search_pending (pmid) VALUES (NEW.pmid);\n"
    "END;\n";

/* Compact annotations.  Mentions and pairs repeat a few strings millions
 * of times (concept ids, entity types, relations) and, through their
 * string-keyed indexes, repeat them again: each string is now stored once
 * in `names` and the rows hold its integer id, so the concept indexes
 * hold small integers.  A mention's text is, for nearly every mention,
 * the article's own text at its offsets (code points into title + " " +
 * abstract, which substr() counts too): it is kept only when it differs.
 *
 * Readers do not see any of this: `mentions` and `pairs` are views with
 * the columns the tables had, decoding ids and recovering text, and
 * INSTEAD OF INSERT triggers encode rows written to them (by the store,
 * a merge, or a user's own SQL), so every query and export reads and
 * writes what it did.  Deletions go to the stored tables (the cascade
 * from articles does the same).  A name, once given an id, keeps it:
 * the trigger adds a missing name with a guarded INSERT that can never
 * conflict, so an outer INSERT OR REPLACE cannot renumber one.  Entity
 * types come first so their ids fit the record's zero-byte and one-byte
 * integers, then 'cooccurs' (id 4, LM_STORE_NAME_COOCCURS), which the
 * partial index of migration 15 must name by a constant.  The view pairs
 * also shows the ids of chemical, disease and relation (relation_code;
 * the insert trigger ignores all three): "chemical = id OR disease = id"
 * lets SQLite use both concept indexes, which an OR over two joined names
 * cannot.  The conversion runs in the migration's own transaction: an
 * interrupted one leaves version 13 as it was, and the next open redoes
 * it.
 *
 * Mentions are clustered by article (WITHOUT ROWID, keyed by PMID and the
 * mention's position in it, from 1): reading or deleting an article's
 * mentions needs no separate pmid index, and a mention's id, which only
 * ever ordered an article's mentions, is that position. */
static const char migration_14[] =
    "CREATE TABLE names (\n"
    "    id   INTEGER PRIMARY KEY,\n"
    "    name TEXT NOT NULL UNIQUE\n"
    ");\n"
    "INSERT INTO names (name) VALUES ('Chemical'), ('Disease'), ('Gene'), ('cooccurs');\n"
    "INSERT OR IGNORE INTO names (name)\n"
    "    SELECT type FROM mentions UNION SELECT concept_id FROM mentions\n"
    "    UNION SELECT relation FROM pairs UNION SELECT chemical_id FROM pairs\n"
    "    UNION SELECT disease_id FROM pairs ORDER BY 1;\n"
    "CREATE TABLE mentions_data (\n"
    "    pmid     INTEGER NOT NULL REFERENCES articles (pmid) ON DELETE CASCADE,\n"
    "    id       INTEGER NOT NULL,\n"
    "    start    INTEGER NOT NULL,\n"
    "    \"end\"    INTEGER NOT NULL,\n"
    "    type     INTEGER NOT NULL,\n"
    "    concept  INTEGER,\n"
    "    sentence INTEGER,\n"
    "    score    REAL,\n"
    "    text     TEXT,\n"
    "    PRIMARY KEY (pmid, id)\n"
    ") WITHOUT ROWID;\n"
    "INSERT INTO mentions_data (pmid, id, start, \"end\", type, concept, sentence, score, text)\n"
    "    SELECT m.pmid, row_number() OVER (PARTITION BY m.pmid ORDER BY m.id),\n"
    "        m.start, m.\"end\", t.id, c.id, m.sentence, m.score,\n"
    "        CASE WHEN m.text IS (SELECT substr(a.title || ' ' || a.abstract, m.start + 1,\n"
    "                             m.\"end\" - m.start) FROM articles a WHERE a.pmid = m.pmid)\n"
    "        THEN NULL ELSE m.text END\n"
    "    FROM mentions m JOIN names t ON t.name = m.type\n"
    "    LEFT JOIN names c ON c.name = m.concept_id ORDER BY m.pmid, m.id;\n"
    "CREATE TABLE pairs_data (\n"
    "    pmid           INTEGER NOT NULL REFERENCES articles (pmid) ON DELETE CASCADE,\n"
    "    chemical       INTEGER NOT NULL,\n"
    "    disease        INTEGER NOT NULL,\n"
    "    relation       INTEGER NOT NULL,\n"
    "    score          REAL NOT NULL,\n"
    "    sentence       INTEGER,\n"
    "    evidence_start INTEGER,\n"
    "    evidence_end   INTEGER,\n"
    "    chemical_text  TEXT,\n"
    "    disease_text   TEXT,\n"
    "    PRIMARY KEY (pmid, chemical, disease)\n"
    ") WITHOUT ROWID;\n"
    "INSERT INTO pairs_data (pmid, chemical, disease, relation, score, sentence,\n"
    "                        evidence_start, evidence_end, chemical_text, disease_text)\n"
    "    SELECT p.pmid, c.id, d.id, r.id, p.score, p.sentence, p.evidence_start,\n"
    "        p.evidence_end, p.chemical_text, p.disease_text\n"
    "    FROM pairs p JOIN names c ON c.name = p.chemical_id\n"
    "    JOIN names d ON d.name = p.disease_id JOIN names r ON r.name = p.relation;\n"
    "DROP TABLE mentions;\n"
    "DROP TABLE pairs;\n"
    "CREATE INDEX mentions_concept ON mentions_data (concept);\n"
    "CREATE INDEX pairs_chemical ON pairs_data (chemical);\n"
    "CREATE INDEX pairs_disease ON pairs_data (disease);\n"
    "CREATE VIEW mentions (id, pmid, start, \"end\", text, type, concept_id, sentence, score)\n"
    "    AS\n"
    "    SELECT m.id, m.pmid, m.start, m.\"end\",\n"
    "        coalesce(m.text, (SELECT substr(a.title || ' ' || a.abstract, m.start + 1,\n"
    "                          m.\"end\" - m.start) FROM articles a WHERE a.pmid = m.pmid)),\n"
    "        t.name, c.name, m.sentence, m.score\n"
    "    FROM mentions_data m JOIN names t ON t.id = m.type\n"
    "    LEFT JOIN names c ON c.id = m.concept;\n"
    "CREATE VIEW pairs (pmid, chemical_id, chemical_text, disease_id, disease_text, relation,\n"
    "                   score, sentence, evidence_start, evidence_end, chemical, disease,\n"
    "                   relation_code) AS\n"
    "    SELECT p.pmid, c.name, p.chemical_text, d.name, p.disease_text, r.name, p.score,\n"
    "        p.sentence, p.evidence_start, p.evidence_end, p.chemical, p.disease, p.relation\n"
    "    FROM pairs_data p JOIN names c ON c.id = p.chemical JOIN names d ON d.id = p.disease\n"
    "    JOIN names r ON r.id = p.relation;\n"
    "CREATE TRIGGER mentions_insert INSTEAD OF INSERT ON mentions BEGIN\n"
    "    INSERT INTO names (name) SELECT NEW.type WHERE NEW.type IS NOT NULL\n"
    "        AND NOT EXISTS (SELECT 1 FROM names WHERE name = NEW.type);\n"
    "    INSERT INTO names (name) SELECT NEW.concept_id WHERE NEW.concept_id IS NOT NULL\n"
    "        AND NOT EXISTS (SELECT 1 FROM names WHERE name = NEW.concept_id);\n"
    "    INSERT INTO mentions_data (id, pmid, start, \"end\", type, concept, sentence, score,\n"
    "                               text)\n"
    "    VALUES (coalesce(NEW.id, (SELECT coalesce(max(id), 0) + 1 FROM mentions_data\n"
    "                              WHERE pmid = NEW.pmid)), NEW.pmid, NEW.start, NEW.\"end\",\n"
    "        (SELECT id FROM names WHERE name = NEW.type),\n"
    "        (SELECT id FROM names WHERE name = NEW.concept_id), NEW.sentence, NEW.score,\n"
    "        CASE WHEN NEW.text IS (SELECT substr(a.title || ' ' || a.abstract, NEW.start + 1,\n"
    "                               NEW.\"end\" - NEW.start) FROM articles a\n"
    "                               WHERE a.pmid = NEW.pmid)\n"
    "        THEN NULL ELSE NEW.text END);\n"
    "END;\n"
    "CREATE TRIGGER pairs_insert INSTEAD OF INSERT ON pairs BEGIN\n"
    "    INSERT INTO names (name) SELECT v.x FROM (SELECT NEW.chemical_id AS x\n"
    "        UNION SELECT NEW.disease_id UNION SELECT NEW.relation) v\n"
    "        WHERE v.x IS NOT NULL AND NOT EXISTS (SELECT 1 FROM names WHERE name = v.x);\n"
    "    INSERT INTO pairs_data (pmid, chemical, disease, relation, score, sentence,\n"
    "                            evidence_start, evidence_end, chemical_text, disease_text)\n"
    "    VALUES (NEW.pmid, (SELECT id FROM names WHERE name = NEW.chemical_id),\n"
    "        (SELECT id FROM names WHERE name = NEW.disease_id),\n"
    "        (SELECT id FROM names WHERE name = NEW.relation), NEW.score, NEW.sentence,\n"
    "        NEW.evidence_start, NEW.evidence_end, NEW.chemical_text, NEW.disease_text);\n"
    "END;\n";
/* The pairs page lists relations best score first, unfiltered or by
 * relation, and counts them: this index hands them over in score order (a
 * WITHOUT ROWID table's index ends with its primary key, so SQLite only
 * orders ties), so a page reads its 50 rows instead of sorting every pair,
 * and with the relation in it a count reads the index alone (1.3 s ->
 * 0.04 s at 100,000 abstracts).  Partial: the co-occurrence candidates the
 * pairs stage rejected, two thirds of the table, are listed only when asked
 * for by name.  A partial index's condition cannot look a name up, so it
 * names 'cooccurs' by the id migration 14 fixes for it
 * (LM_STORE_NAME_COOCCURS), and queries that want the index say
 * "relation <> 4" in the same words. */
static const char migration_15[] =
    "CREATE INDEX IF NOT EXISTS pairs_score ON pairs_data (score DESC, relation)"
    " WHERE relation <> " LM_STORE_NAME_COOCCURS ";\n";

/* Vectors stored once (store/search/lm_vec_cache.c).  A vectors row whose
 * vec is an empty blob says "this article's vector is in the vector file";
 * full rows are the vectors written since the file was last compacted.
 * vector_files names the current file of each model by a random file_id
 * written into the file's header: a file that is not the one the database
 * names is never read.  vector_file_gone lists the file's rows that no
 * longer count (deleted, or replaced by a full row), so readers mask them
 * without scanning the table.  The LSA model's bytes move into the file
 * too: data becomes NULL, and data_len and data_xxh64 keep its size and
 * checksum (a merge compares models by them). */
static const char migration_16[] =
    "ALTER TABLE embed_models ADD COLUMN data_len INTEGER;\n"
    "ALTER TABLE embed_models ADD COLUMN data_xxh64 INTEGER;\n"
    "CREATE TABLE vector_files (\n"
    "    model_id      INTEGER PRIMARY KEY REFERENCES embed_models (id) ON DELETE CASCADE,\n"
    "    file_id       INTEGER NOT NULL,\n"
    "    n             INTEGER NOT NULL,\n"
    "    model_in_file INTEGER NOT NULL,\n"
    "    written_at    TEXT NOT NULL\n"
    ");\n"
    "CREATE TABLE vector_file_gone (\n"
    "    model_id INTEGER NOT NULL,\n"
    "    pmid     INTEGER NOT NULL,\n"
    "    PRIMARY KEY (model_id, pmid)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX vectors_full ON vectors (model_id, pmid) WHERE length(vec) > 0;\n"
    "CREATE TRIGGER vectors_file_gone_ai AFTER INSERT ON vectors\n"
    "    WHEN length(NEW.vec) > 0\n"
    "     AND EXISTS (SELECT 1 FROM vector_files f WHERE f.model_id = NEW.model_id) BEGIN\n"
    "    INSERT OR IGNORE INTO vector_file_gone (model_id, pmid) VALUES (NEW.model_id, NEW.pmid);\n"
    "END;\n"
    "CREATE TRIGGER vectors_file_gone_ad AFTER DELETE ON vectors\n"
    "    WHEN length(OLD.vec) = 0\n"
    "     AND EXISTS (SELECT 1 FROM vector_files f WHERE f.model_id = OLD.model_id) BEGIN\n"
    "    INSERT OR IGNORE INTO vector_file_gone (model_id, pmid) VALUES (OLD.model_id, OLD.pmid);\n"
    "END;\n";

/* A stem's document frequency from the index alone.  The lexical search
 * reads it for every query word and phrase word (~30 per query); with the
 * index on term only, SQLite went on to the lex_postings row and read its
 * posting list BLOB through the overflow pages to get at df: 0.5 ms per
 * common word at 1M abstracts, ~5 ms a query.  With df in the index: 7 us. */
static const char migration_17[] =
    "DROP INDEX lex_postings_term;\n"
    "CREATE INDEX lex_postings_term ON lex_postings (term, df);\n";

/* Vector file format 5 (store/search/lm_vec_cache.c): spare slots that
 * new vectors are appended into in place, vector_files.n the count of
 * rows, the model's own checksum.  No table changes (a format 4 file is
 * still read, and the next refresh rewrites it); the number is what makes
 * an older litmine, which cannot read a format 5 file, refuse the database
 * as newer than itself instead of calling its vector file damaged and
 * sending the user to `index build`. */
static const char migration_18[] =
    "UPDATE vector_files SET n = n;\n";

/* Checksums of the vector file's rows by chunk (store/search/
 * lm_vec_cache.c): each write of rows (a rewrite, an in-place append)
 * records the XXH3-64 of the rows it wrote with the count, and readers
 * verify the chunks that tile the file's counted rows.  A file written at
 * schema 18 has none and is read unchecked until its next append or
 * rewrite records them. */
static const char migration_19[] =
    "CREATE TABLE vector_file_chunks (\n"
    "    model_id  INTEGER NOT NULL,\n"
    "    file_id   INTEGER NOT NULL,\n"
    "    first_row INTEGER NOT NULL,\n"
    "    n_rows    INTEGER NOT NULL,\n"
    "    xxh64     INTEGER NOT NULL,\n"
    "    PRIMARY KEY (model_id, file_id, first_row)\n"
    ") WITHOUT ROWID;\n";

/* migrations[i] takes a database from version i to version i + 1. */
static const char *const migrations[] = {migration_1,  migration_2,  migration_3,  migration_4,
                                         migration_5,  migration_6,  migration_7,  migration_8,
                                         migration_9,  migration_10, migration_11, migration_12,
                                         migration_13, migration_14, migration_15,
                                         migration_16, migration_17, migration_18,
                                         migration_19};

/* What a migration removes, said before it runs (lm_store_options'
 * on_notice); NULL for migrations that only add. */
static const char *migration_notice(int step)
{
    switch (step) {
    case 14:
        return "converting mentions and pairs to the compact layout of schema 14 (concept "
               "ids as integers, mention text kept only where it differs from the article's); "
               "nothing is removed, and an interrupted conversion leaves the database as it was";
    case 13:
        return "removing the FTS5 full-text table search_fts (a second copy of every title "
               "and abstract's index: search and `export --query` use the lexical index); "
               "no article or result is removed";
    default:
        return NULL;
    }
}
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

/* Tables reported by lm_store_count_tables, in this order. */
static const char *const counted_tables[] = {
    "articles", "mesh_headings", "publication_types", "sentences",
    "mentions", "abbreviations", "ingest_log", "deleted_pmids", "watches", "concept_watches",
    "search_indexed", "search_pending", "embed_models", "vectors", "pairs", "authors",
    "keywords", "grants", "article_references", "chemicals"};
#define N_COUNTED ((int)(sizeof counted_tables / sizeof counted_tables[0]))

int lm_store_schema_version(void)
{
    return N_MIGRATIONS;
}

const char *lm_store_migration_sql(int version)
{
    if (version < 1 || version > N_MIGRATIONS)
        return NULL;
    return migrations[version - 1];
}

/* ---- prepared statements ---------------------------------------------- */

enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_ART_META,
    ST_ART_DELETE,
    ST_ART_INSERT,
    ST_MESH_INSERT,
    ST_PT_INSERT,
    ST_ART_GET,
    ST_MESH_GET,
    ST_PT_GET,
    ST_DELETED_REPLACE,
    ST_DELETED_KEEP,
    ST_INGEST_LOOKUP,
    ST_INGEST_START,
    ST_INGEST_FINISH,
    ST_INGEST_LIST,
    ST_ART_EACH,
    ST_INTEGRITY,
    ST_FK_CHECK,
    ST_SENT_DELETE,
    ST_MENT_DELETE,
    ST_ABBR_DELETE,
    ST_SENT_INSERT,
    ST_MENT_INSERT,
    ST_ABBR_INSERT,
    ST_PAIR_DELETE,
    ST_PAIR_INSERT,
    ST_COUNT /* must stay last */
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_ART_META] = "SELECT version, content_hash FROM articles WHERE pmid = ?1",
    [ST_ART_DELETE] = "DELETE FROM articles WHERE pmid = ?1",
    [ST_ART_INSERT] =
        "INSERT INTO articles (pmid, version, title, abstract, journal, year, doi,"
        " language, date_revised, is_book, content_hash, source, ingested_at, pmcid)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    [ST_MESH_INSERT] = "INSERT INTO mesh_headings (pmid, position, ui, name, major_topic)"
                       " VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_PT_INSERT] = "INSERT INTO publication_types (pmid, position, ui, name)"
                     " VALUES (?1, ?2, ?3, ?4)",
    [ST_ART_GET] = "SELECT version, title, abstract, journal, year, doi, language,"
                   " date_revised, is_book, source, ingested_at, pmcid"
                   " FROM articles WHERE pmid = ?1",
    [ST_MESH_GET] = "SELECT ui, name, major_topic FROM mesh_headings"
                    " WHERE pmid = ?1 ORDER BY position",
    [ST_PT_GET] = "SELECT ui, name FROM publication_types WHERE pmid = ?1 ORDER BY position",
    [ST_DELETED_REPLACE] = "INSERT OR REPLACE INTO deleted_pmids (pmid, deleted_at, source)"
                           " VALUES (?1, ?2, ?3)",
    [ST_DELETED_KEEP] = "INSERT OR IGNORE INTO deleted_pmids (pmid, deleted_at, source)"
                        " VALUES (?1, ?2, ?3)",
    [ST_INGEST_LOOKUP] = "SELECT xxh128, md5 FROM ingest_log"
                         " WHERE source = ?1 AND size_bytes = ?2 AND status = 'done'"
                         " AND (length(xxh128) = 32 OR length(md5) = 32)"
                         " ORDER BY id DESC LIMIT 1",
    [ST_INGEST_START] = "INSERT INTO ingest_log (source, kind, size_bytes, status, started_at)"
                        " VALUES (?1, ?2, ?3, 'running', ?4)",
    [ST_INGEST_FINISH] =
        "UPDATE ingest_log SET status = ?2, finished_at = ?3,"
        " articles = coalesce(?4, articles), inserted = coalesce(?5, inserted),"
        " replaced = coalesce(?6, replaced), unchanged = coalesce(?7, unchanged),"
        " older = coalesce(?8, older), deleted = coalesce(?9, deleted),"
        " failed = coalesce(?10, failed), md5 = coalesce(?11, md5), error_text = ?12,"
        " xxh128 = coalesce(?13, xxh128), rejected = coalesce(?14, rejected)"
        " WHERE id = ?1",
    [ST_INGEST_LIST] = "SELECT id, source, kind, status, md5, started_at, finished_at,"
                       " articles, inserted, replaced, unchanged, older, deleted, failed,"
                       " error_text, xxh128, rejected FROM ingest_log ORDER BY id DESC LIMIT ?1",
    [ST_ART_EACH] = "SELECT pmid, version, title, abstract, journal, year, doi, language,"
                    " date_revised, is_book FROM articles ORDER BY pmid",
    [ST_INTEGRITY] = "PRAGMA integrity_check",
    [ST_FK_CHECK] = "PRAGMA foreign_key_check",
    [ST_SENT_DELETE] = "DELETE FROM sentences WHERE pmid = ?1",
    [ST_MENT_DELETE] = "DELETE FROM mentions_data WHERE pmid = ?1",
    [ST_ABBR_DELETE] = "DELETE FROM abbreviations WHERE pmid = ?1",
    [ST_SENT_INSERT] = "INSERT INTO sentences (pmid, idx, start, \"end\") VALUES (?1, ?2, ?3, ?4)",
    [ST_MENT_INSERT] = "INSERT INTO mentions (pmid, start, \"end\", text, type, concept_id,"
                       " sentence, score) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_PAIR_DELETE] = "DELETE FROM pairs_data WHERE pmid = ?1",
    [ST_PAIR_INSERT] = "INSERT OR REPLACE INTO pairs (pmid, chemical_id, chemical_text, disease_id,"
                       " disease_text, relation, score, sentence, evidence_start, evidence_end)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [ST_ABBR_INSERT] = "INSERT INTO abbreviations (pmid, short_form, long_form, start, \"end\")"
                       " VALUES (?1, ?2, ?3, ?4, ?5)",
};

struct lm_store {
    sqlite3 *db;
    int readonly;
    sqlite3_stmt *st[ST_COUNT];
    sqlite3_stmt *count_st;   /* built from counted_tables */
    time_t ts_time;           /* ts_text caches the formatted ts_time */
    char ts_text[32];
    sqlite3_stmt *slots[LM_STORE_SLOTS];   /* other store/ modules' statements */
};

/* ---- errors ------------------------------------------------------------ */

/* Maps a SQLite result code to an lm_status and message:
 * "<what we were doing>: <what SQLite said>".  Must be called before the
 * connection runs anything else, or sqlite3_errmsg() describes that. */
static lm_status db_fail(sqlite3 *db, int rc, lm_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static lm_status db_failv(sqlite3 *db, int rc, lm_error *err, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static lm_status db_failv(sqlite3 *db, int rc, lm_error *err, const char *fmt, va_list ap)
{
    char what[256];
    if (vsnprintf(what, sizeof what, fmt, ap) < 0)
        what[0] = '\0';
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return lm_error_set(err, LM_ERR_BUSY, "%s: database is locked by another process",
                            what);
    case SQLITE_FULL:   /* a database problem: exit status 4, as documented */
        return lm_error_set(err, LM_ERR_DB, "%s: disk full", what);
    case SQLITE_NOMEM:
        return lm_error_set(err, LM_ERR_NOMEM, "%s: out of memory", what);
    case SQLITE_TOOBIG:
        return lm_error_set(err, LM_ERR_FORMAT, "%s: a value is larger than the database "
                            "accepts (%d bytes)", what,
                            db ? sqlite3_limit(db, SQLITE_LIMIT_LENGTH, -1) : 0);
    default:   /* SQLITE_CORRUPT and SQLITE_NOTADB too: a database problem */
        return lm_error_set(err, LM_ERR_DB, "%s: %s", what,
                            db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    }
}

static lm_status db_fail(sqlite3 *db, int rc, lm_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lm_status st = db_failv(db, rc, err, fmt, ap);
    va_end(ap);
    return st;
}

/* Resets a statement for reuse.  Its return value repeats the step error,
 * which the caller has already handled, so it is ignored. */
static void stmt_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Steps a statement that returns no rows and resets it; the SQLite code is
 * returned so the caller can word the error.  sqlite3_reset() keeps the
 * connection's error message, so db_fail() still reports the right one. */
static int step_once(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    stmt_done(st);
    return rc == SQLITE_ROW ? SQLITE_DONE : rc;
}

static lm_status need_writable(const lm_store *s, lm_error *err)
{
    if (s->readonly)
        return lm_error_set(err, LM_ERR_USAGE, "database was opened read-only");
    return LM_OK;
}

/* Current UTC time as 'YYYY-MM-DDTHH:MM:SSZ'; cached per second because
 * put_article asks once per article. */
static const char *store_now(lm_store *s)
{
    time_t now = time(NULL);
    if (now != s->ts_time || !s->ts_text[0]) {
        struct tm tm;
        if (!gmtime_r(&now, &tm) ||
            strftime(s->ts_text, sizeof s->ts_text, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
            snprintf(s->ts_text, sizeof s->ts_text, "1970-01-01T00:00:00Z");
        s->ts_time = now;
    }
    return s->ts_text;
}

/* step_once for a statement whose binds left brc (lm_bind_*): a failed
 * bind is returned without running the statement. */
static int step_bound(sqlite3_stmt *st, int brc)
{
    if (brc != SQLITE_OK) {
        stmt_done(st);
        return brc;
    }
    return step_once(st);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* ---- opening and migrating ---------------------------------------------- */

/* Runs a one-off query returning a single integer (used only while
 * opening, before the statement cache exists). */
static int query_int(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_MISMATCH;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_MISMATCH;   /* expected exactly one row */
    }
    sqlite3_finalize(st);
    return rc;
}

/* Reads the applied schema version: 0 for an empty database, an error for a
 * database that holds someone else's tables. */
static lm_status read_version(sqlite3 *db, const char *path, int *version, lm_error *err)
{
    int64_t n = 0;
    int rc = query_int(db,
                       "SELECT count(*) FROM sqlite_master"
                       " WHERE type = 'table' AND name = 'schema_version'",
                       &n);
    if (rc != SQLITE_OK)
        return db_fail(db, rc, err, "reading schema of %s", path);
    if (n == 0) {
        rc = query_int(db, "SELECT count(*) FROM sqlite_master", &n);
        if (rc != SQLITE_OK)
            return db_fail(db, rc, err, "reading schema of %s", path);
        if (n > 0)
            return lm_error_set(err, LM_ERR_FORMAT,
                                "%s is a SQLite database but not a litmine database "
                                "(no schema_version table)", path);
        *version = 0;
        return LM_OK;
    }
    int64_t v = 0;
    rc = query_int(db, "SELECT version FROM schema_version", &v);
    if (rc == SQLITE_MISMATCH || (rc == SQLITE_OK && (v < 0 || v > 1000000)))
        return lm_error_set(err, LM_ERR_DB,
                            "%s: schema_version table must hold one valid row", path);
    if (rc != SQLITE_OK)
        return db_fail(db, rc, err, "reading schema version of %s", path);
    *version = (int)v;
    return LM_OK;
}

/* Applies migration `step` (1-based) in its own IMMEDIATE transaction.  The
 * version is re-read under the write lock: another process may have applied
 * the step while we waited for it. */
static lm_status apply_migration(sqlite3 *db, const char *path, int step, lm_error *err)
{
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return db_fail(db, rc, err, "migrating %s to schema version %d", path, step);
    int current = 0;
    lm_status st = read_version(db, path, &current, err);
    if (st != LM_OK) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return st;
    }
    if (current >= step)
        rc = SQLITE_OK;
    else if (current != step - 1)
        rc = SQLITE_MISMATCH;   /* cannot happen with one writer at a time */
    else
        rc = sqlite3_exec(db, migrations[step - 1], NULL, NULL, NULL);
    if (rc == SQLITE_OK && current < step) {
        sqlite3_stmt *up = NULL;
        rc = sqlite3_prepare_v2(db, "UPDATE schema_version SET version = ?1", -1, &up, NULL);
        if (rc == SQLITE_OK) {
            rc = sqlite3_bind_int(up, 1, step);
            if (rc == SQLITE_OK)
                rc = sqlite3_step(up);
            rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
            sqlite3_finalize(up);
        }
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        st = db_fail(db, rc, err, "migrating %s to schema version %d", path, step);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return st;
    }
    return LM_OK;
}

/* Opens the connection, proves the file is a database by reading it, then
 * (when writable) switches to WAL and brings the schema to `target`. */
static lm_status open_db(sqlite3 **out, const char *path, int readonly, int busy_ms,
                         int target, const lm_store_options *opts, lm_error *err)
{
    *out = NULL;
    if (!path || !path[0])
        return lm_error_set(err, LM_ERR_USAGE, "no database path given");
    if (readonly && strcmp(path, ":memory:") != 0 && access(path, F_OK) != 0)
        return lm_error_set(err, LM_ERR_NOTFOUND, "no database at %s", path);

    int flags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                SQLITE_OPEN_NOMUTEX;
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, flags, NULL);
    if (rc != SQLITE_OK) {
        lm_status st = db ? lm_error_set(err, (rc & 0xff) == SQLITE_NOMEM ? LM_ERR_NOMEM
                                                                         : LM_ERR_IO,
                                         "cannot open database %s: %s", path,
                                         sqlite3_errmsg(db))
                          : lm_error_set(err, LM_ERR_NOMEM, "cannot open database %s: "
                                         "out of memory", path);
        sqlite3_close(db);
        return st;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, busy_ms > 0 ? busy_ms : 5000);

    /* The first read: SQLite only looks at the file header now, so garbage
     * is caught here, before any pragma or migration could write to it. */
    int64_t n = 0;
    rc = query_int(db, "SELECT count(*) FROM sqlite_master", &n);
    lm_status st = LM_OK;
    if ((rc & 0xff) == SQLITE_NOTADB)
        st = lm_error_set(err, LM_ERR_DB,
                          "%s is not a SQLite database (left untouched)", path);
    else if ((rc & 0xff) == SQLITE_CORRUPT)
        st = lm_error_set(err, LM_ERR_DB, "database %s is corrupt: %s", path,
                          sqlite3_errmsg(db));
    else if (rc != SQLITE_OK)
        st = db_fail(db, rc, err, "opening %s", path);

    if (st == LM_OK && !readonly) {
        /* WAL lets readers (query, export) run while ingest writes, and an
         * interrupted writer never damages committed data: the WAL holds
         * whole committed transactions, and an incomplete tail is ignored
         * on recovery. */
        sqlite3_stmt *jm = NULL;
        rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &jm, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(jm);
        if (rc == SQLITE_ROW) {
            const char *mode = (const char *)sqlite3_column_text(jm, 0);
            /* ":memory:" databases (handy in tests) cannot use WAL. */
            if (!mode || (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0))
                st = lm_error_set(err, LM_ERR_DB, "%s: cannot enable WAL mode (journal "
                                  "mode is %s)", path, mode ? mode : "unknown");
            rc = SQLITE_OK;
        }
        sqlite3_finalize(jm);
        if (st == LM_OK && rc != SQLITE_OK)
            st = db_fail(db, rc, err, "enabling WAL mode on %s", path);
        /* The -wal and -shm files stay when the writer closes, so that a
         * user who may only read the database (the nightly service's
         * group-readable state directory) can open it: a reader without
         * write access to the directory cannot create them.  The nightly
         * checkpoint truncates the WAL to nothing. */
        int persist = 1;
        if (st == LM_OK)
            sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
    }
    if (st == LM_OK) {
        /* synchronous=NORMAL: in WAL mode SQLite then fsyncs only at
         * checkpoints, not at every commit.  A crash of litmine itself loses
         * nothing (committed pages are in the OS cache); a power failure can
         * lose the most recent commits but never corrupts the file, because
         * WAL frames are checksummed and replay stops at the first bad one.
         * For a pipeline that can re-run its last batch that trade is the
         * right one: commits become several times cheaper. */
        /* A 64 MiB page cache (default 2 MiB) keeps the hot leaves of the
         * MeSH index resident during bulk ingest; it is a ceiling, not an
         * allocation. */
        rc = sqlite3_exec(db,
                          "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;"
                          " PRAGMA cache_size = -65536;",
                          NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            st = db_fail(db, rc, err, "configuring %s", path);
    }

    int version = 0;
    if (st == LM_OK)
        st = read_version(db, path, &version, err);
    if (st == LM_OK && version > N_MIGRATIONS)
        st = lm_error_set(err, LM_ERR_USAGE,
                          "database schema version %d is newer than this litmine (%d); "
                          "upgrade litmine", version, N_MIGRATIONS);
    if (st == LM_OK && readonly) {
        if (version == 0)
            st = lm_error_set(err, LM_ERR_NOTFOUND,
                              "%s has no litmine schema yet (nothing was ingested)", path);
        else if (version < target)
            st = lm_error_set(err, LM_ERR_USAGE,
                              "database schema version %d is older than this litmine (%d); "
                              "open it once without read-only mode to upgrade it",
                              version, target);
    }
    for (int step = version + 1; st == LM_OK && !readonly && step <= target; step++) {
        /* A fresh database has nothing to remove. */
        if (version > 0 && migration_notice(step) && opts && opts->on_notice)
            opts->on_notice(opts->notice_ctx, migration_notice(step));
        st = apply_migration(db, path, step, err);
    }

    if (st != LM_OK) {
        sqlite3_close(db);
        return st;
    }
    *out = db;
    return LM_OK;
}

lm_status lm_store_migrate_path(const char *path, int target_version, lm_error *err)
{
    if (target_version < 0 || target_version > N_MIGRATIONS)
        return lm_error_set(err, LM_ERR_USAGE, "no schema version %d (this litmine knows 0-%d)",
                            target_version, N_MIGRATIONS);
    sqlite3 *db = NULL;
    lm_status st = open_db(&db, path, 0, 0, target_version, NULL, err);
    if (st == LM_OK)
        sqlite3_close(db);
    return st;
}

static lm_status prepare_counts(lm_store *s, lm_error *err)
{
    lm_buf sql;
    lm_buf_init(&sql);
    lm_status st = lm_buf_append_str(&sql, "SELECT ");
    for (int i = 0; st == LM_OK && i < N_COUNTED; i++)
        st = lm_buf_printf(&sql, "%s(SELECT count(*) FROM %s)", i ? ", " : "",
                           counted_tables[i]);
    if (st != LM_OK) {
        lm_buf_free(&sql);
        return lm_error_set(err, st, "building table count query");
    }
    int rc = sqlite3_prepare_v3(s->db, lm_buf_cstr(&sql), -1, SQLITE_PREPARE_PERSISTENT,
                                &s->count_st, NULL);
    lm_buf_free(&sql);
    if (rc != SQLITE_OK)
        return db_fail(s->db, rc, err, "preparing table count query");
    return LM_OK;
}

lm_status lm_store_open(lm_store **out, const char *path, const lm_store_options *opts,
                        lm_error *err)
{
    if (!out)
        return lm_error_set(err, LM_ERR_USAGE, "lm_store_open: no output handle");
    *out = NULL;
    lm_store_options defaults = {0};
    if (!opts)
        opts = &defaults;
    lm_store *s = calloc(1, sizeof *s);
    if (!s)
        return lm_error_set(err, LM_ERR_NOMEM, "opening %s: out of memory", path);
    s->readonly = opts->readonly != 0;
    lm_status st = open_db(&s->db, path, s->readonly, opts->busy_timeout_ms, N_MIGRATIONS,
                           opts, err);
    for (int i = 0; st == LM_OK && i < ST_COUNT; i++) {
        int rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                    &s->st[i], NULL);
        if (rc != SQLITE_OK)
            st = db_fail(s->db, rc, err, "preparing \"%.60s\"", stmt_sql[i]);
    }
    if (st == LM_OK)
        st = prepare_counts(s, err);
    if (st != LM_OK) {
        lm_store_close(s);
        return st;
    }
    *out = s;
    return LM_OK;
}

void lm_store_close(lm_store *s)
{
    if (!s)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    sqlite3_finalize(s->count_st);
    for (int i = 0; i < LM_STORE_SLOTS; i++)
        sqlite3_finalize(s->slots[i]);
    /* An open transaction is rolled back by the close: only committed
     * batches survive, as documented. */
    sqlite3_close(s->db);
    free(s);
}

/* ---- transactions ------------------------------------------------------ */

/* Runs one of the prepared transaction statements; what names the step in
 * the error message. */
static lm_status run_fixed(lm_store *s, enum stmt_id id, const char *what, lm_error *err)
{
    int rc = step_once(s->st[id]);
    if (rc != SQLITE_DONE)
        return db_fail(s->db, rc, err, "%s", what);
    return LM_OK;
}

lm_status lm_store_begin(lm_store *s, lm_error *err)
{
    lm_status st = need_writable(s, err);
    if (st != LM_OK)
        return st;
    if (!sqlite3_get_autocommit(s->db))
        return lm_error_set(err, LM_ERR_USAGE, "a transaction is already open");
    /* IMMEDIATE takes the write lock now, so waiting for another writer
     * happens here under the busy timeout, not mid-batch. */
    return run_fixed(s, ST_BEGIN, "starting a transaction", err);
}

lm_status lm_store_commit(lm_store *s, lm_error *err)
{
    if (sqlite3_get_autocommit(s->db))
        return lm_error_set(err, LM_ERR_USAGE, "commit without an open transaction");
    return run_fixed(s, ST_COMMIT, "committing", err);
}

lm_status lm_store_rollback(lm_store *s, lm_error *err)
{
    /* A no-op without a transaction so that cleanup paths can always call it
     * (SQLite may already have rolled back after some errors). */
    if (sqlite3_get_autocommit(s->db))
        return LM_OK;
    return run_fixed(s, ST_ROLLBACK, "rolling back", err);
}

/* ---- articles ---------------------------------------------------------- */

/* Content hash: FNV-1a's structure (xor, then multiply) applied to 8-byte
 * little-endian words instead of single bytes, with a final avalanche —
 * eight times fewer multiplies than byte-wise FNV-1a, which showed up in
 * profiles of bulk ingest.  Words are assembled byte by byte so the value
 * does not depend on the host's byte order.  Each string is preceded by a
 * NULL/present tag and its length so that no two different articles feed
 * the same word stream (("ab","c") vs ("a","bc")). */
#define HASH_SEED 0xcbf29ce484222325ULL
#define HASH_MUL 0x9e3779b97f4a7c15ULL   /* odd: multiplication is a bijection */

static uint64_t hash_word(uint64_t h, uint64_t w)
{
    h ^= w;
    h *= HASH_MUL;
    return h ^ (h >> 29);
}

static uint64_t load_le64(const unsigned char *b, size_t n)
{
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)b[i] << (8 * i);
    return w;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
    if (!s)
        return hash_word(h, 0);
    size_t n = strlen(s);
    h = hash_word(h, ((uint64_t)n << 1) | 1);
    const unsigned char *b = (const unsigned char *)s;
    for (; n >= 8; b += 8, n -= 8)
        h = hash_word(h, load_le64(b, 8));
    return n ? hash_word(h, load_le64(b, n)) : h;
}

static uint64_t hash_final(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

/* Title and abstract hash as '' when NULL because that is how they are
 * stored: an article read back and put again must be UNCHANGED. */
static uint64_t article_hash(const lm_article *a)
{
    uint64_t h = HASH_SEED;
    h = hash_str(h, a->title ? a->title : "");
    h = hash_str(h, a->abstract ? a->abstract : "");
    h = hash_str(h, a->journal);
    h = hash_word(h, (uint64_t)(int64_t)a->year);
    h = hash_str(h, a->doi);
    h = hash_str(h, a->language);
    h = hash_str(h, a->date_revised);
    h = hash_word(h, (uint64_t)(a->is_book != 0));
    h = hash_word(h, a->n_mesh);
    for (size_t i = 0; i < a->n_mesh; i++) {
        h = hash_str(h, a->mesh[i].ui);
        h = hash_str(h, a->mesh[i].name);
        h = hash_word(h, (uint64_t)(a->mesh[i].major_topic != 0));
    }
    h = hash_word(h, a->n_pubtypes);
    for (size_t i = 0; i < a->n_pubtypes; i++) {
        h = hash_str(h, a->pubtypes[i].ui);
        h = hash_str(h, a->pubtypes[i].name);
    }
    /* The whole record (schema 10): an article stored before it differs
     * from its re-ingested self, so re-ingesting fills the new lists. */
    h = hash_str(h, a->pmcid);
    h = hash_word(h, a->n_authors);
    for (size_t i = 0; i < a->n_authors; i++) {
        const lm_author *au = &a->authors[i];
        h = hash_str(h, au->last_name);
        h = hash_str(h, au->fore_name);
        h = hash_str(h, au->initials);
        h = hash_str(h, au->collective);
        h = hash_str(h, au->orcid);
        h = hash_word(h, au->n_affiliations);
        for (size_t k = 0; k < au->n_affiliations; k++)
            h = hash_str(h, au->affiliations[k]);
    }
    h = hash_word(h, a->n_keywords);
    for (size_t i = 0; i < a->n_keywords; i++) {
        h = hash_str(h, a->keywords[i].keyword);
        h = hash_word(h, (uint64_t)(a->keywords[i].major != 0));
    }
    h = hash_word(h, a->n_grants);
    for (size_t i = 0; i < a->n_grants; i++) {
        h = hash_str(h, a->grants[i].grant_id);
        h = hash_str(h, a->grants[i].acronym);
        h = hash_str(h, a->grants[i].agency);
        h = hash_str(h, a->grants[i].country);
    }
    h = hash_word(h, a->n_references);
    for (size_t i = 0; i < a->n_references; i++) {
        h = hash_str(h, a->references[i].kind);
        h = hash_str(h, a->references[i].citation);
        h = hash_word(h, (uint64_t)a->references[i].pmid);
        h = hash_str(h, a->references[i].doi);
        h = hash_str(h, a->references[i].pmcid);
    }
    for (size_t i = 0; i < a->n_mesh; i++) {
        h = hash_word(h, a->mesh[i].n_qualifiers);
        for (size_t k = 0; k < a->mesh[i].n_qualifiers; k++) {
            h = hash_str(h, a->mesh[i].qualifiers[k].ui);
            h = hash_str(h, a->mesh[i].qualifiers[k].name);
            h = hash_word(h, (uint64_t)(a->mesh[i].qualifiers[k].major_topic != 0));
        }
    }
    h = hash_word(h, a->n_chemicals);
    for (size_t i = 0; i < a->n_chemicals; i++) {
        h = hash_str(h, a->chemicals[i].ui);
        h = hash_str(h, a->chemicals[i].name);
        h = hash_str(h, a->chemicals[i].registry_number);
    }
    return hash_final(h);
}

/* SQLite integers are signed; the hash keeps its bit pattern. */
static int64_t hash_to_i64(uint64_t h)
{
    int64_t v;
    memcpy(&v, &h, sizeof v);
    return v;
}

/* One row of an article's MeSH headings or publication types (the same
 * columns, the headings with a major-topic flag: major_topic < 0 for a
 * publication type); returns the step's code. */
static int insert_heading(sqlite3_stmt *st, int64_t pmid, size_t position, const char *ui,
                          const char *name, int major_topic)
{
    int rc = SQLITE_OK;
    lm_bind_int64(st, 1, pmid, &rc);
    lm_bind_int64(st, 2, (int64_t)position, &rc);
    lm_bind_text(st, 3, ui, &rc);
    lm_bind_text(st, 4, name, &rc);
    if (major_topic >= 0)
        lm_bind_int(st, 5, major_topic, &rc);
    return step_bound(st, rc);
}

/* Writes the article row and its MeSH / publication type rows. */
static lm_status insert_article(lm_store *s, const lm_article *a, const char *source,
                                int64_t hash, lm_error *err)
{
    long long pmid = (long long)a->pmid;
    sqlite3_stmt *st = s->st[ST_ART_INSERT];
    int rc = SQLITE_OK;
    lm_bind_int64(st, 1, a->pmid, &rc);
    lm_bind_int(st, 2, a->version, &rc);
    lm_bind_text(st, 3, a->title ? a->title : "", &rc);
    lm_bind_text(st, 4, a->abstract ? a->abstract : "", &rc);
    lm_bind_text(st, 5, a->journal, &rc);
    if (a->year)
        lm_bind_int(st, 6, a->year, &rc);
    else
        lm_bind_null(st, 6, &rc);
    lm_bind_text(st, 7, a->doi, &rc);
    lm_bind_text(st, 8, a->language, &rc);
    lm_bind_text(st, 9, a->date_revised, &rc);
    lm_bind_int(st, 10, a->is_book != 0, &rc);
    lm_bind_int64(st, 11, hash, &rc);
    lm_bind_text(st, 12, source, &rc);
    lm_bind_text(st, 13, store_now(s), &rc);
    lm_bind_text(st, 14, a->pmcid, &rc);
    rc = step_bound(st, rc);
    if (rc != SQLITE_DONE)
        return db_fail(s->db, rc, err, "inserting article %lld", pmid);

    for (size_t i = 0; i < a->n_mesh; i++) {
        rc = insert_heading(s->st[ST_MESH_INSERT], a->pmid, i, a->mesh[i].ui, a->mesh[i].name,
                            a->mesh[i].major_topic != 0);
        if (rc != SQLITE_DONE)
            return db_fail(s->db, rc, err, "inserting MeSH heading of article %lld", pmid);
    }
    for (size_t i = 0; i < a->n_pubtypes; i++) {
        rc = insert_heading(s->st[ST_PT_INSERT], a->pmid, i, a->pubtypes[i].ui,
                            a->pubtypes[i].name, -1);
        if (rc != SQLITE_DONE)
            return db_fail(s->db, rc, err, "inserting publication type of article %lld",
                           pmid);
    }
    return lm_store_biblio_put(s, a, err);
}

/* Checks, before anything is written, that every value of the article
 * fits SQLite's length limit (a row, too, must fit it): an article that
 * does not is refused whole, as LM_ERR_FORMAT, so that a refusal midway
 * can never leave a replaced article deleted or half written. */
static lm_status article_fits(lm_store *s, const lm_article *a, const char *source,
                              lm_error *err)
{
    size_t limit = (size_t)sqlite3_limit(s->db, SQLITE_LIMIT_LENGTH, -1);
    const char *const fields[] = {a->title, a->abstract, a->journal, a->doi,
                                  a->language, a->date_revised, source};
    const char *const names[] = {"title", "abstract", "journal", "DOI",
                                 "language", "revision date", "source name"};
    size_t row = 0;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        size_t n = fields[i] ? strlen(fields[i]) : 0;
        if (n > limit)
            return lm_error_set(err, LM_ERR_FORMAT,
                                "article %lld: its %s (%zu bytes) is longer than the "
                                "database accepts (%zu)", (long long)a->pmid, names[i], n,
                                limit);
        row += n;
    }
    for (size_t i = 0; i < a->n_mesh; i++)
        if ((a->mesh[i].ui ? strlen(a->mesh[i].ui) : 0) +
                (a->mesh[i].name ? strlen(a->mesh[i].name) : 0) > limit)
            return lm_error_set(err, LM_ERR_FORMAT, "article %lld: a MeSH heading is longer "
                                "than the database accepts", (long long)a->pmid);
    for (size_t i = 0; i < a->n_pubtypes; i++)
        if ((a->pubtypes[i].ui ? strlen(a->pubtypes[i].ui) : 0) +
                (a->pubtypes[i].name ? strlen(a->pubtypes[i].name) : 0) > limit)
            return lm_error_set(err, LM_ERR_FORMAT, "article %lld: a publication type is "
                                "longer than the database accepts", (long long)a->pmid);
    /* The other columns of the row take well under a kilobyte. */
    if (row > limit - (limit < 1024 ? limit : 1024))
        return lm_error_set(err, LM_ERR_FORMAT,
                            "article %lld (%zu bytes of text) is larger than the database "
                            "accepts (%zu)", (long long)a->pmid, row, limit);
    return LM_OK;
}

/* Runs a rollback on an error path, where the first error is the one worth
 * reporting and this one's result adds nothing. */
static void run_quietly(lm_store *s, enum stmt_id id)
{
    step_once(s->st[id]);
}

lm_status lm_store_put_article(lm_store *s, const lm_article *a, const char *source,
                               lm_put_result *result, lm_error *err)
{
    if (!s || !a)
        return lm_error_set(err, LM_ERR_USAGE, "lm_store_put_article: no store or article");
    lm_status st = need_writable(s, err);
    if (st != LM_OK)
        return st;
    long long pmid = (long long)a->pmid;
    st = article_fits(s, a, source, err);
    if (st != LM_OK)
        return st;
    int64_t hash = hash_to_i64(article_hash(a));

    /* Outside a batch the article gets its own transaction, so that a
     * failure never leaves an article without its headings. */
    int own_txn = sqlite3_get_autocommit(s->db);
    int rc;
    if (own_txn) {
        rc = step_once(s->st[ST_BEGIN]);
        if (rc != SQLITE_DONE)
            return db_fail(s->db, rc, err, "storing article %lld", pmid);
    }

    sqlite3_stmt *meta = s->st[ST_ART_META];
    rc = lm_bind_step(meta, sqlite3_bind_int64(meta, 1, a->pmid));
    int exists = rc == SQLITE_ROW;
    int64_t old_version = exists ? sqlite3_column_int64(meta, 0) : 0;
    int64_t old_hash = exists ? sqlite3_column_int64(meta, 1) : 0;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        st = db_fail(s->db, rc, err, "looking up article %lld", pmid);
        stmt_done(meta);
        goto fail;
    }
    stmt_done(meta);

    lm_put_result res;
    if (exists && a->version < old_version)
        res = LM_PUT_OLDER;
    else if (exists && a->version == old_version && hash == old_hash)
        res = LM_PUT_UNCHANGED;
    else
        res = exists ? LM_PUT_REPLACED : LM_PUT_INSERTED;

    /* No savepoint inside the caller's batch: a savepoint makes SQLite copy
     * every page the article touches into a sub-journal, which measured
     * as the largest single cost of bulk ingest.  The errors that can
     * strike midway (I/O, disk full, out of memory) end the batch anyway,
     * so the caller rolls it back (see lm_store.h). */
    if (res == LM_PUT_INSERTED || res == LM_PUT_REPLACED) {
        if (exists) {
            sqlite3_stmt *del = s->st[ST_ART_DELETE];
            rc = step_bound(del, sqlite3_bind_int64(del, 1, a->pmid));
            if (rc != SQLITE_DONE)
                st = db_fail(s->db, rc, err, "replacing article %lld", pmid);
        }
        if (st == LM_OK)
            st = insert_article(s, a, source, hash, err);
        if (st != LM_OK)
            goto fail;
    }

    if (own_txn) {
        rc = step_once(s->st[ST_COMMIT]);
        if (rc != SQLITE_DONE) {
            st = db_fail(s->db, rc, err, "committing article %lld", pmid);
            goto fail;
        }
    }
    if (result)
        *result = res;
    return LM_OK;

fail:
    if (own_txn && !sqlite3_get_autocommit(s->db))
        run_quietly(s, ST_ROLLBACK);
    return st;
}

lm_status lm_store_delete_article_from(lm_store *s, int64_t pmid, const char *source,
                                       int *deleted, lm_error *err)
{
    lm_status st = need_writable(s, err);
    if (st != LM_OK)
        return st;
    int own_txn = sqlite3_get_autocommit(s->db);
    int rc;
    if (own_txn) {
        rc = step_once(s->st[ST_BEGIN]);
        if (rc != SQLITE_DONE)
            return db_fail(s->db, rc, err, "deleting article %lld", (long long)pmid);
    }
    sqlite3_stmt *del = s->st[ST_ART_DELETE];
    rc = step_bound(del, sqlite3_bind_int64(del, 1, pmid));
    int existed = rc == SQLITE_DONE && sqlite3_changes(s->db) > 0;
    if (rc == SQLITE_DONE) {
        /* A deletion that removed a row records its time; repeating it (the
         * same update file ingested twice) keeps the first record, so a
         * re-run changes nothing. */
        sqlite3_stmt *rec = s->st[existed ? ST_DELETED_REPLACE : ST_DELETED_KEEP];
        rc = SQLITE_OK;
        lm_bind_int64(rec, 1, pmid, &rc);
        lm_bind_text(rec, 2, store_now(s), &rc);
        lm_bind_text(rec, 3, source, &rc);
        rc = step_bound(rec, rc);
    }
    if (rc == SQLITE_DONE && own_txn)
        rc = step_once(s->st[ST_COMMIT]);
    if (rc != SQLITE_DONE) {
        st = db_fail(s->db, rc, err, "deleting article %lld", (long long)pmid);
        if (own_txn && !sqlite3_get_autocommit(s->db))
            run_quietly(s, ST_ROLLBACK);
        return st;
    }
    if (deleted)
        *deleted = existed;
    return LM_OK;
}

lm_status lm_store_delete_article(lm_store *s, int64_t pmid, int *deleted, lm_error *err)
{
    return lm_store_delete_article_from(s, pmid, NULL, deleted, err);
}

/* Runs one DELETE ... WHERE pmid = ?1 statement. */
static int delete_rows_of(lm_store *s, enum stmt_id id, int64_t pmid)
{
    return step_bound(s->st[id], sqlite3_bind_int64(s->st[id], 1, pmid));
}

lm_status lm_store_put_doc(lm_store *s, int64_t pmid, const lm_doc *doc, unsigned parts,
                           lm_error *err)
{
    lm_status st = need_writable(s, err);
    if (st != LM_OK)
        return st;
    if (sqlite3_get_autocommit(s->db))
        return lm_error_set(err, LM_ERR_USAGE, "lm_store_put_doc needs an open transaction");
    int rc = SQLITE_DONE;
    if (parts & LM_DOC_SENTENCES)
        rc = delete_rows_of(s, ST_SENT_DELETE, pmid);
    if (rc == SQLITE_DONE && (parts & LM_DOC_MENTIONS))
        rc = delete_rows_of(s, ST_MENT_DELETE, pmid);
    if (rc == SQLITE_DONE && (parts & LM_DOC_MENTIONS))
        rc = delete_rows_of(s, ST_ABBR_DELETE, pmid);
    if (rc == SQLITE_DONE && (parts & LM_DOC_PAIRS))
        rc = delete_rows_of(s, ST_PAIR_DELETE, pmid);
    size_t n_sentences = parts & LM_DOC_SENTENCES ? doc->n_sentences : 0;
    size_t n_mentions = parts & LM_DOC_MENTIONS ? doc->n_mentions : 0;
    size_t n_abbrevs = parts & LM_DOC_MENTIONS ? doc->n_abbrevs : 0;
    size_t n_pairs = parts & LM_DOC_PAIRS ? doc->n_pairs : 0;
    for (size_t i = 0; rc == SQLITE_DONE && i < n_sentences; i++) {
        sqlite3_stmt *q = s->st[ST_SENT_INSERT];
        rc = SQLITE_OK;
        lm_bind_int64(q, 1, pmid, &rc);
        lm_bind_int64(q, 2, (int64_t)i, &rc);
        lm_bind_int(q, 3, doc->sentences[i].start, &rc);
        lm_bind_int(q, 4, doc->sentences[i].end, &rc);
        rc = step_bound(q, rc);
    }
    for (size_t i = 0; rc == SQLITE_DONE && i < n_mentions; i++) {
        const lm_doc_mention *m = &doc->mentions[i];
        sqlite3_stmt *q = s->st[ST_MENT_INSERT];
        rc = SQLITE_OK;
        lm_bind_int64(q, 1, pmid, &rc);
        lm_bind_int(q, 2, m->start, &rc);
        lm_bind_int(q, 3, m->end, &rc);
        lm_bind_text(q, 4, m->text ? m->text : "", &rc);
        lm_bind_text(q, 5, lm_ent_type_name(m->type), &rc);
        lm_bind_text(q, 6, m->concept_id, &rc);
        if (m->sentence >= 0)
            lm_bind_int(q, 7, m->sentence, &rc);
        lm_bind_double(q, 8, (double)m->score, &rc);
        rc = step_bound(q, rc);
    }
    for (size_t i = 0; rc == SQLITE_DONE && i < n_abbrevs; i++) {
        const lm_doc_abbrev *a = &doc->abbrevs[i];
        sqlite3_stmt *q = s->st[ST_ABBR_INSERT];
        rc = SQLITE_OK;
        lm_bind_int64(q, 1, pmid, &rc);
        lm_bind_text(q, 2, a->short_form ? a->short_form : "", &rc);
        lm_bind_text(q, 3, a->long_form ? a->long_form : "", &rc);
        lm_bind_int(q, 4, a->start, &rc);
        lm_bind_int(q, 5, a->end, &rc);
        rc = step_bound(q, rc);
    }
    for (size_t i = 0; rc == SQLITE_DONE && i < n_pairs; i++) {
        const lm_doc_pair *p = &doc->pairs[i];
        sqlite3_stmt *q = s->st[ST_PAIR_INSERT];
        rc = SQLITE_OK;
        lm_bind_int64(q, 1, pmid, &rc);
        lm_bind_text(q, 2, p->chem_id ? p->chem_id : "", &rc);
        lm_bind_text(q, 3, p->chem_text, &rc);
        lm_bind_text(q, 4, p->dis_id ? p->dis_id : "", &rc);
        lm_bind_text(q, 5, p->dis_text, &rc);
        lm_bind_text(q, 6, p->relation ? p->relation : "associated", &rc);
        lm_bind_double(q, 7, (double)p->score, &rc);
        if (p->sentence >= 0) {
            lm_bind_int(q, 8, p->sentence, &rc);
            lm_bind_int(q, 9, p->evidence_start, &rc);
            lm_bind_int(q, 10, p->evidence_end, &rc);
        }
        rc = step_bound(q, rc);
    }
    if (rc != SQLITE_DONE)
        return db_fail(s->db, rc, err, "writing annotations of article %lld", (long long)pmid);
    return LM_OK;
}

/* Copies a column into a heap string; NULL stays NULL.  When empty_is_null,
 * '' also reads as NULL (title and abstract are stored '' when absent). */
static lm_status dup_col(sqlite3_stmt *st, int i, int empty_is_null, char **out)
{
    const char *v = col_text(st, i);
    *out = NULL;
    if (!v || (empty_is_null && !v[0]))
        return LM_OK;
    *out = strdup(v);
    return *out ? LM_OK : LM_ERR_NOMEM;
}

static lm_status load_lists(lm_store *s, int64_t pmid, lm_article *out, lm_error *err)
{
    sqlite3_stmt *st = s->st[ST_MESH_GET];
    int brc = sqlite3_bind_int64(st, 1, pmid);
    int rc;
    lm_status ls = LM_OK;
    while (ls == LM_OK && (rc = lm_bind_step(st, brc)) == SQLITE_ROW)
        ls = lm_article_add_mesh(out, col_text(st, 0), col_text(st, 1),
                                 sqlite3_column_int(st, 2));
    if (ls == LM_OK && rc != SQLITE_DONE)
        ls = db_fail(s->db, rc, err, "reading MeSH headings of article %lld", (long long)pmid);
    else if (ls != LM_OK)   /* only lm_article_add_* fails this way: NOMEM */
        ls = lm_error_set(err, ls, "reading article %lld: out of memory", (long long)pmid);
    stmt_done(st);
    if (ls != LM_OK)
        return ls;

    st = s->st[ST_PT_GET];
    brc = sqlite3_bind_int64(st, 1, pmid);
    while (ls == LM_OK && (rc = lm_bind_step(st, brc)) == SQLITE_ROW)
        ls = lm_article_add_pubtype(out, col_text(st, 0), col_text(st, 1));
    if (ls == LM_OK && rc != SQLITE_DONE)
        ls = db_fail(s->db, rc, err, "reading publication types of article %lld",
                     (long long)pmid);
    else if (ls != LM_OK)   /* only lm_article_add_* fails this way: NOMEM */
        ls = lm_error_set(err, ls, "reading article %lld: out of memory", (long long)pmid);
    stmt_done(st);
    return ls;
}

lm_status lm_store_get_article(lm_store *s, int64_t pmid, lm_article *out, char **source,
                               char **ingested_at, lm_error *err)
{
    if (source)
        *source = NULL;
    if (ingested_at)
        *ingested_at = NULL;
    lm_article_free(out);

    sqlite3_stmt *st = s->st[ST_ART_GET];
    int rc = lm_bind_step(st, sqlite3_bind_int64(st, 1, pmid));
    if (rc == SQLITE_DONE) {
        stmt_done(st);
        return lm_error_set(err, LM_ERR_NOTFOUND, "article %lld is not in the database",
                            (long long)pmid);
    }
    if (rc != SQLITE_ROW) {
        lm_status e = db_fail(s->db, rc, err, "reading article %lld", (long long)pmid);
        stmt_done(st);
        return e;
    }
    out->pmid = pmid;
    out->version = sqlite3_column_int(st, 0);
    out->year = sqlite3_column_int(st, 4);   /* NULL reads as 0 */
    out->is_book = sqlite3_column_int(st, 8);
    lm_status ls = dup_col(st, 1, 1, &out->title);
    if (ls == LM_OK)
        ls = dup_col(st, 2, 1, &out->abstract);
    if (ls == LM_OK)
        ls = dup_col(st, 3, 0, &out->journal);
    if (ls == LM_OK)
        ls = dup_col(st, 5, 0, &out->doi);
    if (ls == LM_OK)
        ls = dup_col(st, 6, 0, &out->language);
    if (ls == LM_OK)
        ls = dup_col(st, 7, 0, &out->date_revised);
    if (ls == LM_OK && source)
        ls = dup_col(st, 9, 0, source);
    if (ls == LM_OK && ingested_at)
        ls = dup_col(st, 10, 0, ingested_at);
    if (ls == LM_OK)
        ls = dup_col(st, 11, 0, &out->pmcid);
    stmt_done(st);
    if (ls != LM_OK)
        ls = lm_error_set(err, ls, "reading article %lld: out of memory", (long long)pmid);
    else
        ls = load_lists(s, pmid, out, err);
    if (ls == LM_OK)
        ls = lm_store_biblio_get(s, pmid, out, err);
    if (ls != LM_OK) {
        lm_article_free(out);
        if (source) {
            free(*source);
            *source = NULL;
        }
        if (ingested_at) {
            free(*ingested_at);
            *ingested_at = NULL;
        }
    }
    return ls;
}

/* ---- ingest log -------------------------------------------------------- */

static void copy_hex32(char dst[33], const char *src)
{
    dst[0] = '\0';
    if (src && lm_digest_is_hex32(src)) {
        for (int i = 0; i < 33; i++)
            dst[i] = (src[i] >= 'A' && src[i] <= 'F') ? (char)(src[i] - 'A' + 'a') : src[i];
    }
}

lm_status lm_store_ingest_lookup(lm_store *s, const char *source_name, int64_t size_bytes,
                                 int *found, lm_file_digest *logged, lm_error *err)
{
    *found = 0;
    if (logged) {
        logged->xxh128[0] = '\0';
        logged->md5[0] = '\0';
    }
    if (!source_name)
        return lm_error_set(err, LM_ERR_USAGE, "ingest lookup: no source name");
    sqlite3_stmt *st = s->st[ST_INGEST_LOOKUP];
    int rc = SQLITE_OK;
    lm_bind_text(st, 1, source_name, &rc);
    lm_bind_int64(st, 2, size_bytes, &rc);
    rc = lm_bind_step(st, rc);
    lm_status ls = LM_OK;
    if (rc == SQLITE_ROW) {
        lm_file_digest d;
        copy_hex32(d.xxh128, col_text(st, 0));
        copy_hex32(d.md5, col_text(st, 1));
        if (d.xxh128[0] || d.md5[0]) {
            *found = 1;
            if (logged)
                *logged = d;
        }
    } else if (rc != SQLITE_DONE) {
        ls = db_fail(s->db, rc, err, "looking up ingest log for %s", source_name);
    }
    stmt_done(st);
    return ls;
}

lm_status lm_store_ingest_start(lm_store *s, const char *source_name, const char *kind,
                                int64_t size_bytes, int64_t *id, lm_error *err)
{
    lm_status st = need_writable(s, err);
    if (st != LM_OK)
        return st;
    if (!source_name)
        return lm_error_set(err, LM_ERR_USAGE, "ingest log: no source name");
    if (!kind || (strcmp(kind, "file") != 0 && strcmp(kind, "stdin") != 0 &&
                  strcmp(kind, "eutils") != 0 && strcmp(kind, "sync") != 0))
        return lm_error_set(err, LM_ERR_USAGE,
                            "ingest log: kind must be file, stdin, eutils or sync (got %s)",
                            kind ? kind : "nothing");
    sqlite3_stmt *ins = s->st[ST_INGEST_START];
    int rc = SQLITE_OK;
    lm_bind_text(ins, 1, source_name, &rc);
    lm_bind_text(ins, 2, kind, &rc);
    if (size_bytes >= 0)
        lm_bind_int64(ins, 3, size_bytes, &rc);
    else
        lm_bind_null(ins, 3, &rc);
    lm_bind_text(ins, 4, store_now(s), &rc);
    /* In autocommit mode this INSERT is its own transaction, committed at
     * once; inside lm_store_begin() it joins (and shares the fate of) the
     * caller's batch. */
    rc = step_bound(ins, rc);
    if (rc != SQLITE_DONE)
        return db_fail(s->db, rc, err, "recording the start of ingesting %s", source_name);
    if (id)
        *id = sqlite3_last_insert_rowid(s->db);
    return LM_OK;
}

lm_status lm_store_ingest_finish(lm_store *s, int64_t id, const char *status,
                                 const lm_ingest_counts *counts, const lm_file_digest *digest,
                                 const char *error_text, lm_error *err)
{
    lm_status st = need_writable(s, err);
    if (st != LM_OK)
        return st;
    if (!status || (strcmp(status, "done") != 0 && strcmp(status, "failed") != 0 &&
                    strcmp(status, "interrupted") != 0))
        return lm_error_set(err, LM_ERR_USAGE,
                            "ingest log: status must be done, failed or interrupted (got %s)",
                            status ? status : "nothing");
    char xxh128[33] = "", md5[33] = "";
    if (digest) {
        /* "" = not computed; anything else must be a digest. */
        if ((digest->xxh128[0] && !lm_digest_is_hex32(digest->xxh128)) ||
            (digest->md5[0] && !lm_digest_is_hex32(digest->md5)))
            return lm_error_set(err, LM_ERR_USAGE,
                                "ingest log: a checksum is not 32 hex digits");
        copy_hex32(xxh128, digest->xxh128);
        copy_hex32(md5, digest->md5);
    }
    sqlite3_stmt *up = s->st[ST_INGEST_FINISH];
    int rc = SQLITE_OK;
    lm_bind_int64(up, 1, id, &rc);
    lm_bind_text(up, 2, status, &rc);
    lm_bind_text(up, 3, store_now(s), &rc);
    if (counts) {
        const int64_t v[] = {counts->articles, counts->inserted, counts->replaced,
                             counts->unchanged, counts->older, counts->deleted,
                             counts->failed};
        for (int i = 0; i < 7; i++)
            lm_bind_int64(up, 4 + i, v[i], &rc);
        lm_bind_int64(up, 14, counts->rejected, &rc);
    }
    lm_bind_text(up, 11, md5[0] ? md5 : NULL, &rc);
    lm_bind_text(up, 12, error_text, &rc);
    lm_bind_text(up, 13, xxh128[0] ? xxh128 : NULL, &rc);
    rc = step_bound(up, rc);
    if (rc != SQLITE_DONE)
        return db_fail(s->db, rc, err, "recording the end of ingest %lld", (long long)id);
    if (sqlite3_changes(s->db) == 0)
        return lm_error_set(err, LM_ERR_NOTFOUND, "no ingest log entry %lld", (long long)id);
    return LM_OK;
}

/* ---- read side --------------------------------------------------------- */

lm_status lm_store_count_tables(lm_store *s,
                                lm_status (*cb)(void *ctx, const lm_table_count *c),
                                void *ctx, lm_error *err)
{
    sqlite3_stmt *st = s->count_st;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        lm_status e = db_fail(s->db, rc, err, "counting rows");
        stmt_done(st);
        return e;
    }
    /* Copy first: the callback may use the store, and our row must not be
     * held open meanwhile. */
    int64_t rows[N_COUNTED];
    for (int i = 0; i < N_COUNTED; i++)
        rows[i] = sqlite3_column_int64(st, i);
    stmt_done(st);
    for (int i = 0; i < N_COUNTED; i++) {
        lm_table_count c = {counted_tables[i], rows[i]};
        lm_status cs = cb(ctx, &c);
        if (cs != LM_OK)
            return cs;
    }
    return LM_OK;
}

lm_status lm_store_list_ingests(lm_store *s, int limit,
                                lm_status (*cb)(void *ctx, const lm_ingest_row *r),
                                void *ctx, lm_error *err)
{
    sqlite3_stmt *st = s->st[ST_INGEST_LIST];
    if (sqlite3_stmt_busy(st))
        return lm_error_set(err, LM_ERR_USAGE, "lm_store_list_ingests called re-entrantly");
    int brc = sqlite3_bind_int(st, 1, limit > 0 ? limit : -1);   /* -1: no limit */
    int rc;
    lm_status cs = LM_OK;
    while (cs == LM_OK && (rc = lm_bind_step(st, brc)) == SQLITE_ROW) {
        lm_ingest_row r = {
            .id = sqlite3_column_int64(st, 0),
            .source = col_text(st, 1),
            .kind = col_text(st, 2),
            .status = col_text(st, 3),
            .md5 = col_text(st, 4),
            .started_at = col_text(st, 5),
            .finished_at = col_text(st, 6),
            .counts = {sqlite3_column_int64(st, 7), sqlite3_column_int64(st, 8),
                       sqlite3_column_int64(st, 9), sqlite3_column_int64(st, 10),
                       sqlite3_column_int64(st, 11), sqlite3_column_int64(st, 12),
                       sqlite3_column_int64(st, 13), sqlite3_column_int64(st, 16)},
            .error_text = col_text(st, 14),
            .xxh128 = col_text(st, 15),
        };
        cs = cb(ctx, &r);
    }
    if (cs == LM_OK && rc != SQLITE_DONE)
        cs = db_fail(s->db, rc, err, "listing the ingest log");
    stmt_done(st);
    return cs;
}

lm_status lm_store_each_article(lm_store *s, lm_status (*cb)(void *ctx, const lm_article *a),
                                void *ctx, lm_error *err)
{
    sqlite3_stmt *st = s->st[ST_ART_EACH];
    if (sqlite3_stmt_busy(st))
        return lm_error_set(err, LM_ERR_USAGE, "lm_store_each_article called re-entrantly");
    int rc;
    lm_status cs = LM_OK;
    while (cs == LM_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        /* The article borrows SQLite's column buffers (valid until the next
         * step), which the callback must not free; the casts drop const
         * only because lm_article's members are not const. */
        const char *title = col_text(st, 2), *abstract = col_text(st, 3);
        lm_article a = {
            .pmid = sqlite3_column_int64(st, 0),
            .version = sqlite3_column_int(st, 1),
            .title = title && title[0] ? (char *)title : NULL,
            .abstract = abstract && abstract[0] ? (char *)abstract : NULL,
            .journal = (char *)col_text(st, 4),
            .year = sqlite3_column_int(st, 5),
            .doi = (char *)col_text(st, 6),
            .language = (char *)col_text(st, 7),
            .date_revised = (char *)col_text(st, 8),
            .is_book = sqlite3_column_int(st, 9),
        };
        cs = cb(ctx, &a);
    }
    if (cs == LM_OK && rc != SQLITE_DONE)
        cs = db_fail(s->db, rc, err, "reading articles");
    stmt_done(st);
    return cs;
}

lm_status lm_store_check(lm_store *s, lm_error *err)
{
    sqlite3_stmt *st = s->st[ST_INTEGRITY];
    int rc = sqlite3_step(st);
    lm_status ls = LM_OK;
    if (rc == SQLITE_ROW) {
        const char *r = col_text(st, 0);
        if (!r || strcmp(r, "ok") != 0)
            ls = lm_error_set(err, LM_ERR_DB, "integrity check failed: %s",
                              r ? r : "(no detail)");
    } else {
        ls = db_fail(s->db, rc, err, "checking database integrity");
    }
    stmt_done(st);
    if (ls != LM_OK)
        return ls;

    /* Rows: table, rowid (NULL for WITHOUT ROWID tables), parent, fkid. */
    st = s->st[ST_FK_CHECK];
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *table = col_text(st, 0), *parent = col_text(st, 2);
        if (sqlite3_column_type(st, 1) == SQLITE_NULL)
            ls = lm_error_set(err, LM_ERR_DB,
                              "foreign key check failed: a row of %s refers to a missing "
                              "row of %s", table ? table : "?", parent ? parent : "?");
        else
            ls = lm_error_set(err, LM_ERR_DB,
                              "foreign key check failed: %s row %lld refers to a missing "
                              "row of %s", table ? table : "?",
                              (long long)sqlite3_column_int64(st, 1), parent ? parent : "?");
    } else if (rc != SQLITE_DONE) {
        ls = db_fail(s->db, rc, err, "checking foreign keys");
    }
    stmt_done(st);
    return ls;
}

/* ---- for the other store/ modules (lm_store_internal.h) ----------------- */

sqlite3 *lm_store_sqlite(lm_store *s)
{
    return s->db;
}

int lm_store_is_readonly(const lm_store *s)
{
    return s->readonly;
}

sqlite3_stmt *lm_store_stmt(lm_store *s, int slot, const char *sql, lm_error *err)
{
    if (slot < 0 || slot >= LM_STORE_SLOTS) {
        lm_error_set(err, LM_ERR_USAGE, "statement slot %d out of range", slot);
        return NULL;
    }
    if (!s->slots[slot]) {
        int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->slots[slot],
                                    NULL);
        if (rc != SQLITE_OK) {
            db_fail(s->db, rc, err, "preparing \"%.60s\"", sql);
            return NULL;
        }
    } else {
        stmt_done(s->slots[slot]);
    }
    return s->slots[slot];
}

lm_status lm_store_query_int(lm_store *s, int slot, const char *sql, int64_t p1, int64_t *out,
                             const char *what, lm_error *err)
{
    *out = 0;
    sqlite3_stmt *st = lm_store_stmt(s, slot, sql, err);
    if (!st)
        return err && err->code != LM_OK ? err->code : LM_ERR_DB;
    int rc = SQLITE_OK;
    if (sqlite3_bind_parameter_count(st) > 0)
        lm_bind_int64(st, 1, p1, &rc);
    rc = lm_bind_step(st, rc);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? LM_OK : lm_store_fail(s, rc, err, "%s", what);
}

lm_status lm_store_fail(lm_store *s, int rc, lm_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lm_status st = db_failv(s->db, rc, err, fmt, ap);
    va_end(ap);
    return st;
}

const char *lm_store_now(lm_store *s)
{
    return store_now(s);
}
