/*
 * Streaming PubMed XML parser on libxml2's SAX2 push interface.
 *
 * LONG-FILE: one SAX state machine; to split (state machine vs field
 * capture) once issue 16's parser work has merged.
 *
 * Design: the document is never held in memory.  Bytes are pushed into
 * libxml2 as they arrive; our SAX callbacks keep only a small stack of the
 * "container" elements on the path to the fields we extract
 * (PubmedArticle/MedlineCitation/Article/Journal/...).  Any element that is
 * not on such a path (History, InvestigatorList, OtherAbstract, ...) puts the
 * parser into skip mode until it closes, so the bulk of a PubMed file costs
 * one depth increment per element and an early return per text node: no
 * name comparison, no copying.  Text is accumulated only while inside an
 * element we keep (capture mode); inline markup within it (<i>, <sup>, <b>)
 * is not looked at, its character data simply flows into the same buffer,
 * which is why "Ca<sup>2+</sup>" comes out as "Ca2+".  MathML is the one
 * exception (see math_start).  Whitespace is collapsed and control
 * characters dropped once, when the element closes.
 *
 * Each article is delivered at its closing tag and then freed, so a fault
 * later in the file never loses articles already seen.  Every failure is
 * sticky: the first error (libxml2 fatal error, callback refusal, non-PubMed
 * document) halts libxml2 and is returned by every later call.
 *
 * Security: no DTD is loaded, no network access, and only the predefined
 * entities and character references exist (we install no getEntity
 * handler, so XML_PARSE_NOENT merely decodes "&amp;" in attribute values).
 * A document that declares entities — NLM's never do; a "billion laughs"
 * response does — is refused at the first declaration (LM_ERR_FORMAT, not
 * worth a retry), and the placeholder document libxml2 builds to hold such
 * declarations in SAX mode is freed with the parser.
 *
 * Bounded memory: captured text stops growing at LM_PUBMED_FIELD_MAX and
 * what an article keeps is counted against LM_PUBMED_ARTICLE_MAX; an
 * article over either is marked bad at once (nothing more of it is
 * kept) and reported at its closing tag instead of being delivered.
 */
#include "lm_pubmed.h"

#include "../util/lm_buf.h"
#include "../util/lm_digest.h"
#include "../util/lm_md5.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <zlib.h>

/* Elements we recognise.  Everything else is EL_NONE and skipped. */
enum elem {
    EL_NONE = 0,
    EL_PUBMED_ARTICLE_SET,
    EL_PUBMED_BOOK_ARTICLE_SET,
    EL_PUBMED_ARTICLE,
    EL_PUBMED_BOOK_ARTICLE,
    EL_DELETE_CITATION,
    EL_MEDLINE_CITATION,
    EL_BOOK_DOCUMENT,
    EL_BOOK,
    EL_PMID,
    EL_ARTICLE,
    EL_JOURNAL,
    EL_JOURNAL_ISSUE,
    EL_PUB_DATE,
    EL_YEAR,
    EL_MONTH,
    EL_DAY,
    EL_MEDLINE_DATE,
    EL_TITLE,
    EL_ARTICLE_TITLE,
    EL_VERNACULAR_TITLE,
    EL_BOOK_TITLE,
    EL_ABSTRACT,
    EL_ABSTRACT_TEXT,
    EL_ELOCATION_ID,
    EL_LANGUAGE,
    EL_PUBLICATION_TYPE_LIST,
    EL_PUBLICATION_TYPE,
    EL_ARTICLE_DATE,
    EL_DATE_REVISED,
    EL_MESH_HEADING_LIST,
    EL_MESH_HEADING,
    EL_DESCRIPTOR_NAME,
    EL_QUALIFIER_NAME,
    EL_PUBMED_DATA,
    EL_PUBMED_BOOK_DATA,
    EL_ARTICLE_ID_LIST,
    EL_ARTICLE_ID,
    EL_AUTHOR_LIST,
    EL_AUTHOR,
    EL_LAST_NAME,
    EL_FORE_NAME,
    EL_INITIALS,
    EL_COLLECTIVE_NAME,
    EL_IDENTIFIER,
    EL_AFFILIATION_INFO,
    EL_AFFILIATION,
    EL_KEYWORD_LIST,
    EL_KEYWORD,
    EL_GRANT_LIST,
    EL_GRANT,
    EL_GRANT_ID,
    EL_ACRONYM,
    EL_AGENCY,
    EL_COUNTRY,
    EL_CHEMICAL_LIST,
    EL_CHEMICAL,
    EL_REGISTRY_NUMBER,
    EL_NAME_OF_SUBSTANCE,
    EL_COMMENTS_CORRECTIONS_LIST,
    EL_COMMENTS_CORRECTIONS,
    EL_REF_SOURCE,
    EL_REFERENCE_LIST,
    EL_REFERENCE,
    EL_CITATION,
    EL_ERROR,
    EL_EFETCH_RESULT,
    EL_FOREIGN_ROOT   /* pseudo: any other root element */
};

/* What a captured element's text is for. */
enum target {
    T_NONE = 0,
    T_PMID,
    T_DEL_PMID,
    T_ARTICLE_TITLE,
    T_VERN_TITLE,
    T_BOOK_TITLE,
    T_ABSTRACT,
    T_JOURNAL,
    T_PUB_YEAR,
    T_MEDLINE_DATE,
    T_BOOK_YEAR,
    T_ARTDATE_YEAR,
    T_REV_YEAR,
    T_REV_MONTH,
    T_REV_DAY,
    T_ELOC_DOI,
    T_ID_DOI,
    T_LANGUAGE,
    T_PUBTYPE,
    T_DESCRIPTOR,
    T_QUALIFIER,
    T_ID_PMC,
    T_AU_LAST,
    T_AU_FORE,
    T_AU_INITIALS,
    T_AU_COLLECTIVE,
    T_AU_ORCID,
    T_AU_AFFILIATION,
    T_KEYWORD,
    T_GRANT_ID,
    T_GRANT_ACRONYM,
    T_GRANT_AGENCY,
    T_GRANT_COUNTRY,
    T_CHEM_RN,
    T_CHEM_NAME,
    T_REF_CITATION,
    T_REF_PMID,
    T_REF_DOI,
    T_REF_PMC,
    T_ERROR
};

/* The deepest container paths are PubmedArticleSet/PubmedArticle/
 * MedlineCitation/Article/Journal/JournalIssue/PubDate and .../PubmedData/
 * ReferenceList/ReferenceList/Reference/ArticleIdList: 7 levels. */
#define STACK_MAX 16
/* What a list entry (MeSH heading, publication type) costs the article
 * beyond its text, for LM_PUBMED_ARTICLE_MAX. */
#define ENTRY_COST 64
/* Longest E-utilities error message kept. */
#define EUTILS_ERROR_MAX 4096

/* Bytes held back to recognise an HTML page before libxml2 sees them. */
#define SNIFF_MAX 256
#define READ_CHUNK (256 * 1024)
#define PROGRESS_EVERY (4u * 1024 * 1024)

enum root_kind { ROOT_UNSEEN, ROOT_SET, ROOT_ERROR, ROOT_EFETCH, ROOT_FOREIGN };

struct lm_pubmed_parser {
    xmlParserCtxtPtr ctxt;
    char *source;
    lm_pubmed_handler handler;
    lm_pubmed_stats stats;

    lm_status status;      /* sticky first failure */
    lm_error error;
    int finished;

    char sniff[SNIFF_MAX];
    size_t sniff_len;
    int sniffed;           /* decision made, sniff[] handed to libxml2 */
    int nonblank;          /* saw a byte other than BOM/whitespace */

    unsigned depth;        /* open elements, root = 1 */
    unsigned skip_depth;   /* nonzero: inside an ignored subtree */
    unsigned cap_depth;    /* nonzero: capturing text of that element */
    unsigned math_depth;   /* nonzero: inside MathML within a capture */
    unsigned token_depth;  /* nonzero: inside a MathML token (mi, mn, ...) */
    enum target cap_target;
    int cap_over;          /* the capture passed LM_PUBMED_FIELD_MAX */
    unsigned char stack[STACK_MAX];  /* container ids, stack[d - 1] */
    enum root_kind root;
    char root_name[64];

    lm_buf text;           /* captured character data */
    lm_buf label;          /* Label of the current AbstractText */
    lm_buf abstract;
    lm_buf ui;             /* UI attribute of the current element */
    lm_buf mesh_ui;
    lm_buf eutils_error;

    /* The article being assembled, plus fallbacks chosen at its end. */
    lm_article art;
    char *vern_title, *book_title, *eloc_doi, *id_doi, *mesh_name;
    int pub_year, medline_year, book_year, artdate_year;
    int rev_year, rev_month, rev_day;
    int mesh_major;
    int mesh_added;        /* the current heading is in art.mesh */
    int qual_major;        /* MajorTopicYN of the current QualifierName */
    int keyword_major;
    char *chem_rn, *chem_name;
    lm_buf chem_ui;

    /* Bad-article bookkeeping: why the article being assembled will be
     * skipped (empty: it will not), where it starts, the bytes it keeps,
     * and its PMID element's text as written (for the report). */
    int in_article;
    const char *reject;
    unsigned long art_line;
    size_t art_bytes;
    char pmid_text[24];
};

/* ---- small helpers ---------------------------------------------------- */

static lm_status fail(lm_pubmed_parser *p, lm_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static lm_status fail(lm_pubmed_parser *p, lm_status code, const char *fmt, ...)
{
    if (p->status != LM_OK)
        return p->status;
    va_list ap;
    va_start(ap, fmt);
    char msg[LM_ERROR_MSG_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    lm_error_set(&p->error, code, "%s", msg);
    p->status = code;
    if (p->ctxt)
        xmlStopParser(p->ctxt);
    return code;
}

static lm_status fail_nomem(lm_pubmed_parser *p)
{
    return fail(p, LM_ERR_NOMEM, "%s: out of memory", p->source);
}

static lm_status report(const lm_pubmed_parser *p, lm_error *err)
{
    if (p->status != LM_OK && err)
        *err = p->error;
    return p->status;
}

/* Maps an element name to its id; names are short and dictionary-interned,
 * a length switch keeps this to one or two memcmp calls. */
static enum elem elem_lookup(const xmlChar *xname)
{
    const char *name = (const char *)xname;
    size_t len = strlen(name);
#define IS(lit) (memcmp(name, lit, sizeof lit - 1) == 0)
    switch (len) {
    case 3:
        if (IS("Day")) return EL_DAY;
        break;
    case 4:
        if (IS("PMID")) return EL_PMID;
        if (IS("Year")) return EL_YEAR;
        if (IS("Book")) return EL_BOOK;
        break;
    case 5:
        if (IS("Grant")) return EL_GRANT;
        if (IS("Title")) return EL_TITLE;
        if (IS("Month")) return EL_MONTH;
        if (IS("ERROR")) return EL_ERROR;
        break;
    case 6:
        if (IS("Author")) return EL_AUTHOR;
        if (IS("Agency")) return EL_AGENCY;
        break;
    case 7:
        if (IS("Keyword")) return EL_KEYWORD;
        if (IS("GrantID")) return EL_GRANT_ID;
        if (IS("Acronym")) return EL_ACRONYM;
        if (IS("Country")) return EL_COUNTRY;
        if (IS("Article")) return EL_ARTICLE;
        if (IS("Journal")) return EL_JOURNAL;
        if (IS("PubDate")) return EL_PUB_DATE;
        break;
    case 8:
        if (IS("Abstract")) return EL_ABSTRACT;
        if (IS("Language")) return EL_LANGUAGE;
        if (IS("LastName")) return EL_LAST_NAME;
        if (IS("ForeName")) return EL_FORE_NAME;
        if (IS("Initials")) return EL_INITIALS;
        if (IS("Chemical")) return EL_CHEMICAL;
        if (IS("Citation")) return EL_CITATION;
        break;
    case 9:
        if (IS("RefSource")) return EL_REF_SOURCE;
        if (IS("Reference")) return EL_REFERENCE;
        if (IS("GrantList")) return EL_GRANT_LIST;
        if (IS("ArticleId")) return EL_ARTICLE_ID;
        if (IS("BookTitle")) return EL_BOOK_TITLE;
        break;
    case 10:
        if (IS("PubmedData")) return EL_PUBMED_DATA;
        if (IS("AuthorList")) return EL_AUTHOR_LIST;
        if (IS("Identifier")) return EL_IDENTIFIER;
        break;
    case 11:
        if (IS("ELocationID")) return EL_ELOCATION_ID;
        if (IS("DateRevised")) return EL_DATE_REVISED;
        if (IS("MeshHeading")) return EL_MESH_HEADING;
        if (IS("MedlineDate")) return EL_MEDLINE_DATE;
        if (IS("ArticleDate")) return EL_ARTICLE_DATE;
        if (IS("Affiliation")) return EL_AFFILIATION;
        if (IS("KeywordList")) return EL_KEYWORD_LIST;
        break;
    case 12:
        if (IS("AbstractText")) return EL_ABSTRACT_TEXT;
        if (IS("ArticleTitle")) return EL_ARTICLE_TITLE;
        if (IS("JournalIssue")) return EL_JOURNAL_ISSUE;
        if (IS("BookDocument")) return EL_BOOK_DOCUMENT;
        if (IS("eFetchResult")) return EL_EFETCH_RESULT;
        if (IS("ChemicalList")) return EL_CHEMICAL_LIST;
        break;
    case 13:
        if (IS("PubmedArticle")) return EL_PUBMED_ARTICLE;
        if (IS("QualifierName")) return EL_QUALIFIER_NAME;
        if (IS("ArticleIdList")) return EL_ARTICLE_ID_LIST;
        if (IS("ReferenceList")) return EL_REFERENCE_LIST;
        break;
    case 14:
        if (IS("DescriptorName")) return EL_DESCRIPTOR_NAME;
        if (IS("DeleteCitation")) return EL_DELETE_CITATION;
        if (IS("PubmedBookData")) return EL_PUBMED_BOOK_DATA;
        if (IS("CollectiveName")) return EL_COLLECTIVE_NAME;
        if (IS("RegistryNumber")) return EL_REGISTRY_NUMBER;
        break;
    case 15:
        if (IS("MedlineCitation")) return EL_MEDLINE_CITATION;
        if (IS("MeshHeadingList")) return EL_MESH_HEADING_LIST;
        if (IS("PublicationType")) return EL_PUBLICATION_TYPE;
        if (IS("VernacularTitle")) return EL_VERNACULAR_TITLE;
        if (IS("AffiliationInfo")) return EL_AFFILIATION_INFO;
        if (IS("NameOfSubstance")) return EL_NAME_OF_SUBSTANCE;
        break;
    case 16:
        if (IS("PubmedArticleSet")) return EL_PUBMED_ARTICLE_SET;
        break;
    case 17:
        if (IS("PubmedBookArticle")) return EL_PUBMED_BOOK_ARTICLE;
        break;
    case 19:
        if (IS("PublicationTypeList")) return EL_PUBLICATION_TYPE_LIST;
        if (IS("CommentsCorrections")) return EL_COMMENTS_CORRECTIONS;
        break;
    case 23:
        if (IS("CommentsCorrectionsList")) return EL_COMMENTS_CORRECTIONS_LIST;
        break;
    case 20:
        if (IS("PubmedBookArticleSet")) return EL_PUBMED_BOOK_ARTICLE_SET;
        break;
    default:
        break;
    }
#undef IS
    return EL_NONE;
}

/* SAX2 hands attributes as (localname, prefix, URI, value, end) quintuples
 * with unterminated values. */
static int attr_find(int nb, const xmlChar **attrs, const char *name,
                     const char **val, size_t *len)
{
    for (int i = 0; i < nb; i++) {
        const xmlChar **a = attrs + 5 * i;
        if (strcmp((const char *)a[0], name) == 0) {
            *val = (const char *)a[3];
            *len = (size_t)(a[4] - a[3]);
            return 1;
        }
    }
    return 0;
}

static int attr_equals(int nb, const xmlChar **attrs, const char *name,
                       const char *want)
{
    const char *v;
    size_t n;
    return attr_find(nb, attrs, name, &v, &n) && n == strlen(want) &&
           memcmp(v, want, n) == 0;
}

/* A byte that text_normalize keeps as is: not whitespace, not a C0
 * control or DEL, not the lead byte of U+0080..U+00BF (C1 controls and the
 * no-break space live there). */
static inline int byte_plain(unsigned char c)
{
    return c > 0x20 && c != 0x7f && c != 0xc2;
}

/* Second byte of C2 xx when U+00xx is a C1 control or the no-break space. */
static inline int c1_or_nbsp(char next)
{
    unsigned char c = (unsigned char)next;
    return c >= 0x80 && c <= 0xa0;
}

/* Word-at-a-time byte tests (8 bytes per step).  Each sets the top bit of
 * the bytes that match; a borrow can also mark the byte just above a true
 * match, which is harmless here: a false alarm only sends the text down the
 * exact slow path. */
#define BYTES_ONES 0x0101010101010101ull
#define BYTES_HIGH 0x8080808080808080ull

static inline uint64_t bytes_below(uint64_t w, unsigned char c)
{
    return (w - BYTES_ONES * c) & ~w & BYTES_HIGH;
}

static inline uint64_t bytes_equal(uint64_t w, unsigned char c)
{
    uint64_t t = w ^ (BYTES_ONES * c);
    return (t - BYTES_ONES) & ~t & BYTES_HIGH;
}

/* 1 when s[0..n) is certainly already normal: no leading or trailing
 * space, single spaces only, nothing to drop.  s[n] must be readable. */
static int text_is_normal(const char *s, size_t n)
{
    if (n == 0)
        return 1;
    if (!byte_plain((unsigned char)s[0]) || !byte_plain((unsigned char)s[n - 1]))
        return 0;
    uint64_t bad = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t sp = bytes_equal(w, ' ');
        bad |= bytes_below(w, 0x20) | bytes_equal(w, 0x7f) |
               (sp & (sp >> 8)) | (sp & (sp << 8));
        /* A double space straddling two words. */
        bad |= (uint64_t)(s[i + 7] == ' ' && s[i + 8] == ' ');
        /* C2 also leads common signs (plus-minus, degree, micro): look
         * closer only when one is present. */
        if (bytes_equal(w, 0xc2))
            for (size_t k = i; k < i + 8; k++)
                bad |= (uint64_t)((unsigned char)s[k] == 0xc2 && c1_or_nbsp(s[k + 1]));
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0xc2 ? c1_or_nbsp(s[i + 1])
                      : !byte_plain(c) && !(c == ' ' && s[i + 1] != ' '))
            return 0;
    }
    return bad == 0;
}

/* Collapses whitespace runs (including no-break spaces) to one space, trims
 * both ends and drops C0/C1 control characters and DEL, in place; s[n] must
 * be writable.  Returns the new length.  Most captured text is already
 * normal (compact bulk files) and is only checked, 8 bytes at a time. */
static size_t text_normalize(char *s, size_t n)
{
    if (!s)
        return 0;
    if (text_is_normal(s, n))
        return n;
    size_t o = 0;
    int space = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f) {
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
                space = 1;
            continue;
        }
        /* C1 controls U+0080..U+009F are C2 80..C2 9F; U+00A0 (no-break
         * space, common in MathML <mtext>) is C2 A0 and counts as space. */
        if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
            (unsigned char)s[i + 1] <= 0xa0) {
            if ((unsigned char)s[i + 1] == 0xa0)
                space = 1;
            i++;
            continue;
        }
        if (space && o > 0)
            s[o++] = ' ';
        space = 0;
        s[o++] = (char)c;
    }
    s[o] = '\0';
    return o;
}

/* A PMID: 1 to 18 decimal digits, nothing else. */
static int64_t parse_pmid(const char *s, size_t n)
{
    if (n == 0 || n > 18)
        return 0;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Small non-negative integer (year, month, day); -1 when not all digits. */
static int parse_small(const char *s, size_t n)
{
    if (n == 0 || n > 6)
        return -1;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* A <Year>: exactly four digits, else 0 (unknown). */
static int parse_year(const char *s, size_t n)
{
    int y = n == 4 ? parse_small(s, n) : -1;
    return y > 0 ? y : 0;
}

/* First run of exactly four digits, as in MedlineDate "1998 Dec-1999 Jan". */
static int first_year(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            continue;
        size_t j = i;
        while (j < n && s[j] >= '0' && s[j] <= '9')
            j++;
        if (j - i == 4)
            return parse_small(s + i, 4);
        i = j;
    }
    return 0;
}

static int parse_month(const char *s, size_t n)
{
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    int v = parse_small(s, n);
    if (v >= 0)
        return v;
    if (n < 3)
        return -1;
    for (int m = 0; m < 12; m++)
        if (strncasecmp(s, names + 3 * m, 3) == 0)
            return m + 1;
    return -1;
}

/* Duplicates into *slot unless it is already set (first occurrence wins). */
static int set_once(char **slot, const char *s, size_t n)
{
    if (*slot || n == 0)
        return 0;
    *slot = strndup(s, n);
    return *slot ? 0 : -1;
}

/* ---- article assembly -------------------------------------------------- */

static void article_reset(lm_pubmed_parser *p)
{
    lm_article_free(&p->art);
    free(p->vern_title);
    free(p->book_title);
    free(p->eloc_doi);
    free(p->id_doi);
    free(p->mesh_name);
    p->vern_title = p->book_title = p->eloc_doi = p->id_doi = p->mesh_name = NULL;
    p->pub_year = p->medline_year = p->book_year = p->artdate_year = 0;
    p->rev_year = p->rev_month = p->rev_day = 0;
    p->mesh_major = p->mesh_added = p->qual_major = p->keyword_major = 0;
    free(p->chem_rn);
    free(p->chem_name);
    p->chem_rn = p->chem_name = NULL;
    lm_buf_reset(&p->chem_ui);
    p->in_article = 0;
    p->reject = NULL;
    p->art_bytes = 0;
    p->pmid_text[0] = '\0';
    lm_buf_reset(&p->abstract);
    lm_buf_reset(&p->mesh_ui);
}

static void article_begin(lm_pubmed_parser *p, int is_book)
{
    article_reset(p);
    p->art.is_book = is_book;
    p->in_article = 1;
    p->art_line = (unsigned long)xmlSAX2GetLineNumber(p->ctxt);
}

/* Marks the article being assembled as bad (the first reason stays). */
static void article_reject(lm_pubmed_parser *p, const char *why)
{
    if (p->in_article && !p->reject)
        p->reject = why;
}

/* Counts n more bytes kept for the article; 0 when it is over its cap
 * (and now marked bad), so the caller keeps nothing more. */
static int article_keep(lm_pubmed_parser *p, size_t n)
{
    if (!p->in_article)
        return 1;
    p->art_bytes += n;
    if (p->art_bytes <= LM_PUBMED_ARTICLE_MAX && !p->reject)
        return 1;
    article_reject(p, "text in total");
    return 0;
}

/* Copies s[0..n) into out[cap] as printable ASCII (others become '?'),
 * cut with "..." when longer. */
static void printable(char *out, size_t cap, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 4 < cap; i++)
        out[o++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    if (o + 4 >= cap && n > o)
        memcpy(out + o, "...", 3), o += 3;
    out[o] = '\0';
}

/* Reports a skipped article or deletion entry and counts it. */
static void report_reject(lm_pubmed_parser *p, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report_reject(lm_pubmed_parser *p, unsigned long line, const char *fmt, ...)
{
    p->stats.rejected++;
    if (!p->handler.on_reject)
        return;
    char what[256], msg[LM_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof msg, "%s:%lu: %s", p->source, line, what);
    p->handler.on_reject(p->handler.ctx, msg);
}

static void take_into(char **slot, char **from)
{
    if (!*slot) {
        *slot = *from;
        *from = NULL;
    }
}

static void article_end(lm_pubmed_parser *p)
{
    lm_article *a = &p->art;
    if (a->pmid <= 0) {
        if (p->pmid_text[0])
            report_reject(p, p->art_line, "article with an invalid PMID \"%s\" not stored",
                          p->pmid_text);
        else
            report_reject(p, p->art_line, "article without a PMID not stored");
        article_reset(p);
        return;
    }
    if (p->reject) {
        report_reject(p, p->art_line,
                      "PMID %lld not stored: its %s is longer than litmine's limit (%u bytes "
                      "per field, %u per article)",
                      (long long)a->pmid, p->reject, LM_PUBMED_FIELD_MAX, LM_PUBMED_ARTICLE_MAX);
        article_reset(p);
        return;
    }
    take_into(&a->title, &p->vern_title);
    take_into(&a->title, &p->book_title);
    take_into(&a->doi, &p->id_doi);
    take_into(&a->doi, &p->eloc_doi);
    if (a->is_book)
        a->year = p->book_year;
    else
        a->year = p->pub_year     ? p->pub_year
                  : p->medline_year ? p->medline_year
                                    : p->artdate_year;
    if (p->abstract.len) {
        a->abstract = lm_buf_take(&p->abstract);
        if (!a->abstract) {
            fail_nomem(p);
            return;
        }
    }
    if (p->rev_year > 0 && p->rev_year <= 9999 && p->rev_month >= 1 &&
        p->rev_month <= 12 && p->rev_day >= 1 && p->rev_day <= 31) {
        char d[16];
        snprintf(d, sizeof d, "%04d-%02d-%02d", p->rev_year, p->rev_month,
                 p->rev_day);
        a->date_revised = strdup(d);
        if (!a->date_revised) {
            fail_nomem(p);
            return;
        }
    }

    /* The handler may move the article out, leaving it initialised. */
    int64_t pmid = a->pmid;
    int is_book = a->is_book;
    lm_status st = LM_OK;
    if (p->handler.on_article) {
        lm_error_clear(&p->error);
        st = p->handler.on_article(p->handler.ctx, a, &p->error);
    }
    if (st != LM_OK) {
        if (p->error.code != st)
            lm_error_set(&p->error, st, "%s: article handler stopped the parse "
                         "at PMID %lld", p->source, (long long)pmid);
        p->status = st;
        xmlStopParser(p->ctxt);
    } else if (is_book) {
        p->stats.book_articles++;
    } else {
        p->stats.articles++;
    }
    article_reset(p);
}

/* The heading is added when its DescriptorName closes, so that the
 * QualifierNames after it attach to it. */
static void mesh_descriptor(lm_pubmed_parser *p)
{
    if (p->mesh_name && !p->mesh_added &&
        article_keep(p, strlen(p->mesh_name) + p->mesh_ui.len + ENTRY_COST)) {
        const char *ui = p->mesh_ui.len ? lm_buf_cstr(&p->mesh_ui) : NULL;
        if (lm_article_add_mesh(&p->art, ui, p->mesh_name, p->mesh_major) != LM_OK)
            fail_nomem(p);
        else
            p->mesh_added = 1;
    }
}

static void mesh_end(lm_pubmed_parser *p)
{
    free(p->mesh_name);
    p->mesh_name = NULL;
    lm_buf_reset(&p->mesh_ui);
    p->mesh_major = p->mesh_added = 0;
}

static void chemical_end(lm_pubmed_parser *p)
{
    if (p->chem_name && article_keep(p, ENTRY_COST) &&
        lm_article_add_chemical(&p->art, p->chem_ui.len ? lm_buf_cstr(&p->chem_ui) : NULL,
                                p->chem_name, p->chem_rn) != LM_OK)
        fail_nomem(p);
    free(p->chem_rn);
    free(p->chem_name);
    p->chem_rn = p->chem_name = NULL;
    lm_buf_reset(&p->chem_ui);
}

/* Slots of the list entry being read: the last author, grant, reference. */
static lm_author *last_author(lm_pubmed_parser *p)
{
    return p->art.n_authors ? &p->art.authors[p->art.n_authors - 1] : NULL;
}

static lm_grant *last_grant(lm_pubmed_parser *p)
{
    return p->art.n_grants ? &p->art.grants[p->art.n_grants - 1] : NULL;
}

static lm_reference *last_reference(lm_pubmed_parser *p)
{
    return p->art.n_references ? &p->art.references[p->art.n_references - 1] : NULL;
}

/* set_once into a slot that may not exist (an entry refused by the cap). */
static int set_field(char **slot, const char *s, size_t n)
{
    return slot ? set_once(slot, s, n) : 0;
}

static void abstract_add(lm_pubmed_parser *p, const char *s, size_t n)
{
    size_t label_len = text_normalize(p->label.data, p->label.len);
    p->label.len = label_len;
    if (n == 0 && label_len == 0)
        return;
    size_t add = (p->abstract.len ? 1 : 0) + (label_len ? label_len + 2 : 0) + n;
    if (p->abstract.len + add > LM_PUBMED_FIELD_MAX) {
        article_reject(p, "abstract");
        return;
    }
    if (!article_keep(p, add))
        return;
    int bad = 0;
    if (p->abstract.len)
        bad |= lm_buf_append_char(&p->abstract, ' ') != LM_OK;
    if (label_len) {
        bad |= lm_buf_append(&p->abstract, p->label.data, label_len) != LM_OK;
        bad |= lm_buf_append(&p->abstract, n ? ": " : ":", n ? 2 : 1) != LM_OK;
    }
    bad |= lm_buf_append(&p->abstract, s, n) != LM_OK;
    if (bad)
        fail_nomem(p);
}

static void delete_pmid(lm_pubmed_parser *p, const char *s, size_t n)
{
    int64_t pmid = parse_pmid(s, n);
    if (pmid <= 0) {
        char shown[sizeof p->pmid_text];
        printable(shown, sizeof shown, s, n);
        report_reject(p, (unsigned long)xmlSAX2GetLineNumber(p->ctxt),
                      "deletion of an invalid PMID \"%s\" ignored", shown);
        return;
    }
    p->stats.deletions++;
    if (!p->handler.on_delete)
        return;
    lm_error_clear(&p->error);
    lm_status st = p->handler.on_delete(p->handler.ctx, pmid, &p->error);
    if (st != LM_OK) {
        if (p->error.code != st)
            lm_error_set(&p->error, st, "%s: deletion handler stopped the parse "
                         "at PMID %lld", p->source, (long long)pmid);
        p->status = st;
        xmlStopParser(p->ctxt);
    }
}

/* What a capture is, for the report of an article over the cap. */
static const char *target_name(enum target t)
{
    switch (t) {
    case T_PMID: return "PMID";
    case T_ARTICLE_TITLE: return "title";
    case T_VERN_TITLE: return "vernacular title";
    case T_BOOK_TITLE: return "book title";
    case T_ABSTRACT: return "abstract";
    case T_JOURNAL: return "journal name";
    case T_DESCRIPTOR: return "MeSH heading";
    case T_PUBTYPE: return "publication type";
    case T_ELOC_DOI:
    case T_ID_DOI: return "DOI";
    default: return "text";
    }
}

/* Whether a capture's text counts against the article's cap: the fields
 * it keeps (first occurrence of each single field, every list entry). */
static size_t kept_bytes(const lm_pubmed_parser *p, size_t n)
{
    switch (p->cap_target) {
    case T_ARTICLE_TITLE: return p->art.title ? 0 : n;
    case T_VERN_TITLE: return p->vern_title ? 0 : n;
    case T_BOOK_TITLE: return p->book_title ? 0 : n;
    case T_JOURNAL: return p->art.journal ? 0 : n;
    case T_ELOC_DOI: return p->eloc_doi ? 0 : n;
    case T_ID_DOI: return p->id_doi ? 0 : n;
    case T_LANGUAGE: return p->art.language ? 0 : n;
    case T_PUBTYPE: return n ? n + p->ui.len + ENTRY_COST : 0;
    case T_QUALIFIER: return n ? n + p->ui.len + ENTRY_COST : 0;
    case T_KEYWORD:
    case T_AU_AFFILIATION: return n ? n + ENTRY_COST : 0;
    case T_ID_PMC: return p->art.pmcid ? 0 : n;
    case T_AU_LAST: case T_AU_FORE: case T_AU_INITIALS: case T_AU_COLLECTIVE:
    case T_AU_ORCID: case T_GRANT_ID: case T_GRANT_ACRONYM: case T_GRANT_AGENCY:
    case T_GRANT_COUNTRY: case T_CHEM_RN: case T_CHEM_NAME: case T_REF_CITATION:
    case T_REF_DOI: case T_REF_PMC: return n;
    default: return 0;   /* abstract and MeSH: counted where they are kept */
    }
}

static void capture_end(lm_pubmed_parser *p)
{
    size_t n = text_normalize(p->text.data, p->text.len);
    p->text.len = n;
    const char *s = lm_buf_cstr(&p->text);
    lm_article *a = &p->art;
    int bad = 0;
    if (p->cap_target == T_PMID && !a->pmid && !p->pmid_text[0])
        printable(p->pmid_text, sizeof p->pmid_text, s, n);
    if (p->cap_over && p->cap_target != T_ERROR) {
        /* A cut field is never stored: the article is bad input. */
        if (p->cap_target == T_DEL_PMID)
            delete_pmid(p, s, n);
        article_reject(p, target_name(p->cap_target));
        p->cap_target = T_NONE;
        return;
    }
    if (p->in_article && (p->reject || !article_keep(p, kept_bytes(p, n)))) {
        /* A bad article keeps nothing more, but its PMID is still read
         * for the report. */
        if (p->cap_target == T_PMID && a->pmid == 0)
            a->pmid = parse_pmid(s, n);
        p->cap_target = T_NONE;
        return;
    }
    switch (p->cap_target) {
    case T_PMID:
        if (a->pmid == 0)
            a->pmid = parse_pmid(s, n);
        break;
    case T_DEL_PMID:
        delete_pmid(p, s, n);
        break;
    case T_ARTICLE_TITLE:
        bad = set_once(&a->title, s, n);
        break;
    case T_VERN_TITLE:
        bad = set_once(&p->vern_title, s, n);
        break;
    case T_BOOK_TITLE:
        bad = set_once(&p->book_title, s, n);
        break;
    case T_ABSTRACT:
        abstract_add(p, s, n);
        break;
    case T_JOURNAL:
        bad = set_once(&a->journal, s, n);
        break;
    case T_PUB_YEAR:
        if (!p->pub_year)
            p->pub_year = parse_year(s, n);
        break;
    case T_MEDLINE_DATE:
        if (!p->medline_year)
            p->medline_year = first_year(s, n);
        break;
    case T_BOOK_YEAR:
        if (!p->book_year)
            p->book_year = parse_year(s, n);
        break;
    case T_ARTDATE_YEAR:
        if (!p->artdate_year)
            p->artdate_year = parse_year(s, n);
        break;
    case T_REV_YEAR:
        p->rev_year = parse_small(s, n);
        break;
    case T_REV_MONTH:
        p->rev_month = parse_month(s, n);
        break;
    case T_REV_DAY:
        p->rev_day = parse_small(s, n);
        break;
    case T_ELOC_DOI:
        bad = set_once(&p->eloc_doi, s, n);
        break;
    case T_ID_DOI:
        bad = set_once(&p->id_doi, s, n);
        break;
    case T_LANGUAGE:
        bad = set_once(&a->language, s, n);
        break;
    case T_PUBTYPE:
        if (n)
            bad = lm_article_add_pubtype(a, p->ui.len ? lm_buf_cstr(&p->ui) : NULL,
                                         s) != LM_OK;
        break;
    case T_DESCRIPTOR:
        if (n && !p->mesh_name) {
            p->mesh_name = strndup(s, n);
            bad = p->mesh_name == NULL;
        }
        mesh_descriptor(p);
        break;
    case T_QUALIFIER:
        if (n && p->mesh_added) {
            bad = lm_article_add_qualifier(a, p->ui.len ? lm_buf_cstr(&p->ui) : NULL, s,
                                           p->qual_major) != LM_OK;
            if (p->qual_major)
                a->mesh[a->n_mesh - 1].major_topic = 1;
        }
        break;
    case T_ID_PMC:
        bad = set_once(&a->pmcid, s, n);
        break;
    case T_AU_LAST:
        bad = set_field(last_author(p) ? &last_author(p)->last_name : NULL, s, n);
        break;
    case T_AU_FORE:
        bad = set_field(last_author(p) ? &last_author(p)->fore_name : NULL, s, n);
        break;
    case T_AU_INITIALS:
        bad = set_field(last_author(p) ? &last_author(p)->initials : NULL, s, n);
        break;
    case T_AU_COLLECTIVE:
        bad = set_field(last_author(p) ? &last_author(p)->collective : NULL, s, n);
        break;
    case T_AU_ORCID:
        bad = set_field(last_author(p) ? &last_author(p)->orcid : NULL, s, n);
        break;
    case T_AU_AFFILIATION:
        if (n && last_author(p))
            bad = lm_author_add_affiliation(last_author(p), s) != LM_OK;
        break;
    case T_KEYWORD:
        if (n)
            bad = lm_article_add_keyword(a, s, p->keyword_major) != LM_OK;
        break;
    case T_GRANT_ID:
        bad = set_field(last_grant(p) ? &last_grant(p)->grant_id : NULL, s, n);
        break;
    case T_GRANT_ACRONYM:
        bad = set_field(last_grant(p) ? &last_grant(p)->acronym : NULL, s, n);
        break;
    case T_GRANT_AGENCY:
        bad = set_field(last_grant(p) ? &last_grant(p)->agency : NULL, s, n);
        break;
    case T_GRANT_COUNTRY:
        bad = set_field(last_grant(p) ? &last_grant(p)->country : NULL, s, n);
        break;
    case T_CHEM_RN:
        bad = set_once(&p->chem_rn, s, n);
        break;
    case T_CHEM_NAME:
        bad = set_once(&p->chem_name, s, n);
        break;
    case T_REF_CITATION:
        bad = set_field(last_reference(p) ? &last_reference(p)->citation : NULL, s, n);
        break;
    case T_REF_PMID:
        if (last_reference(p) && !last_reference(p)->pmid)
            last_reference(p)->pmid = parse_pmid(s, n) > 0 ? parse_pmid(s, n) : 0;
        break;
    case T_REF_DOI:
        bad = set_field(last_reference(p) ? &last_reference(p)->doi : NULL, s, n);
        break;
    case T_REF_PMC:
        bad = set_field(last_reference(p) ? &last_reference(p)->pmcid : NULL, s, n);
        break;
    case T_ERROR:
        if (n && p->eutils_error.len < EUTILS_ERROR_MAX) {
            if (p->eutils_error.len)
                bad |= lm_buf_append(&p->eutils_error, "; ", 2) != LM_OK;
            bad |= lm_buf_append(&p->eutils_error, s, n) != LM_OK;
        }
        break;
    case T_NONE:
        break;
    }
    if (bad)
        fail_nomem(p);
    p->cap_target = T_NONE;
}

/* ---- SAX callbacks ------------------------------------------------------ */

static void begin_capture(lm_pubmed_parser *p, unsigned d, enum target t)
{
    p->cap_depth = d;
    p->cap_target = t;
    p->cap_over = 0;
    p->math_depth = p->token_depth = 0;
    lm_buf_reset(&p->text);
}

static int copy_attr(lm_pubmed_parser *p, lm_buf *dst, int nb, const xmlChar **attrs,
                     const char *name)
{
    const char *v;
    size_t n;
    lm_buf_reset(dst);
    if (attr_find(nb, attrs, name, &v, &n) && lm_buf_append(dst, v, n) != LM_OK) {
        fail_nomem(p);
        return -1;
    }
    return 0;
}

static void root_start(lm_pubmed_parser *p, const xmlChar *xname)
{
    const char *name = (const char *)xname;
    snprintf(p->root_name, sizeof p->root_name, "%s", name);
    if (strcasecmp(name, "html") == 0) {
        fail(p, LM_ERR_FORMAT, "%s: got an HTML page instead of PubMed XML",
             p->source);
        return;
    }
    enum elem id = elem_lookup(xname);
    if (id == EL_PUBMED_ARTICLE_SET || id == EL_PUBMED_BOOK_ARTICLE_SET) {
        p->root = ROOT_SET;
        p->stack[0] = (unsigned char)id;
    } else if (id == EL_ERROR) {
        p->root = ROOT_ERROR;
        p->stack[0] = EL_ERROR;
        begin_capture(p, 1, T_ERROR);
    } else if (id == EL_EFETCH_RESULT) {
        p->root = ROOT_EFETCH;
        p->stack[0] = EL_EFETCH_RESULT;
    } else {
        /* Maybe an E-utilities error wrapped in another root (eSearchResult
         * with <ERROR>); decided by its first child. */
        p->root = ROOT_FOREIGN;
        p->stack[0] = EL_FOREIGN_ROOT;
    }
}

static void root_end(lm_pubmed_parser *p)
{
    if (p->eutils_error.len)
        fail(p, LM_ERR_FORMAT, "%s: NCBI E-utilities error: %s", p->source,
             lm_buf_cstr(&p->eutils_error));
    else if (p->root == ROOT_FOREIGN)
        fail(p, LM_ERR_FORMAT, "%s: not PubMed XML (root element <%s>)", p->source,
             p->root_name);
}

/* Presentation MathML is usually pretty-printed: the whitespace between its
 * elements is layout, not text (MathML 3, section 2.1.7), and
 * <annotation> repeats the formula as TeX.  So inside <math> only the
 * content of token elements is kept: <mi>V</mi><mn>2</mn> gives "V2". */
static int math_is_token(const char *name)
{
    if (name[0] != 'm')
        return 0;
    return strcmp(name, "mi") == 0 || strcmp(name, "mn") == 0 ||
           strcmp(name, "mo") == 0 || strcmp(name, "mtext") == 0 ||
           strcmp(name, "ms") == 0;
}

static void math_start(lm_pubmed_parser *p, unsigned d, const xmlChar *xname)
{
    const char *name = (const char *)xname;
    if (!p->math_depth) {
        if (strcmp(name, "math") == 0)
            p->math_depth = d;
    } else if (!p->token_depth && math_is_token(name)) {
        p->token_depth = d;
    }
}

static void sax_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                      const xmlChar *uri, int nb_namespaces,
                      const xmlChar **namespaces, int nb_attributes,
                      int nb_defaulted, const xmlChar **attrs)
{
    (void)prefix;
    (void)uri;
    (void)nb_namespaces;
    (void)namespaces;
    (void)nb_defaulted;
    lm_pubmed_parser *p = ctx;
    unsigned d = ++p->depth;
    if (p->cap_depth) {
        math_start(p, d, localname);
        return;
    }
    if (p->skip_depth || p->status != LM_OK)
        return;
    if (d == 1) {
        root_start(p, localname);
        return;
    }
    if (d > STACK_MAX) {
        p->skip_depth = d;
        return;
    }
    enum elem id = elem_lookup(localname);
    unsigned parent = p->stack[d - 2];
    unsigned grand = d >= 3 ? p->stack[d - 3] : EL_NONE;
    int nb = nb_attributes;
    int container = 0;
    enum target t = T_NONE;

    if (parent == EL_FOREIGN_ROOT || parent == EL_EFETCH_RESULT) {
        if (id == EL_ERROR) {
            begin_capture(p, d, T_ERROR);
            return;
        }
        if (parent == EL_FOREIGN_ROOT && p->eutils_error.len == 0) {
            fail(p, LM_ERR_FORMAT, "%s: not PubMed XML (root element <%s>)",
                 p->source, p->root_name);
            return;
        }
        p->skip_depth = d;
        return;
    }

    switch (id) {
    case EL_PUBMED_ARTICLE:
        if (parent == EL_PUBMED_ARTICLE_SET) {
            article_begin(p, 0);
            container = 1;
        }
        break;
    case EL_PUBMED_BOOK_ARTICLE:
        if (parent == EL_PUBMED_ARTICLE_SET || parent == EL_PUBMED_BOOK_ARTICLE_SET) {
            article_begin(p, 1);
            container = 1;
        }
        break;
    case EL_DELETE_CITATION:
        container = parent == EL_PUBMED_ARTICLE_SET;
        break;
    case EL_MEDLINE_CITATION:
    case EL_PUBMED_DATA:
        container = parent == EL_PUBMED_ARTICLE;
        break;
    case EL_BOOK_DOCUMENT:
    case EL_PUBMED_BOOK_DATA:
        container = parent == EL_PUBMED_BOOK_ARTICLE;
        break;
    case EL_PMID:
        if (parent == EL_DELETE_CITATION) {
            t = T_DEL_PMID;
        } else if (parent == EL_COMMENTS_CORRECTIONS) {
            t = T_REF_PMID;
        } else if (parent == EL_MEDLINE_CITATION || parent == EL_BOOK_DOCUMENT) {
            const char *v;
            size_t n;
            if (p->art.pmid == 0 && attr_find(nb, attrs, "Version", &v, &n)) {
                int ver = parse_small(v, n);
                p->art.version = ver > 0 ? ver : 1;
            }
            t = T_PMID;
        }
        break;
    case EL_ARTICLE:
        container = parent == EL_MEDLINE_CITATION;
        break;
    case EL_JOURNAL:
    case EL_PUBLICATION_TYPE_LIST:
    case EL_ARTICLE_DATE:
        container = parent == EL_ARTICLE;
        break;
    case EL_JOURNAL_ISSUE:
        container = parent == EL_JOURNAL;
        break;
    case EL_TITLE:
        if (parent == EL_JOURNAL)
            t = T_JOURNAL;
        break;
    case EL_PUB_DATE:
        container = parent == EL_JOURNAL_ISSUE || parent == EL_BOOK;
        break;
    case EL_YEAR:
        if (parent == EL_PUB_DATE)
            t = grand == EL_BOOK ? T_BOOK_YEAR : T_PUB_YEAR;
        else if (parent == EL_ARTICLE_DATE)
            t = T_ARTDATE_YEAR;
        else if (parent == EL_DATE_REVISED)
            t = T_REV_YEAR;
        break;
    case EL_MONTH:
        if (parent == EL_DATE_REVISED)
            t = T_REV_MONTH;
        break;
    case EL_DAY:
        if (parent == EL_DATE_REVISED)
            t = T_REV_DAY;
        break;
    case EL_MEDLINE_DATE:
        if (parent == EL_PUB_DATE && grand == EL_JOURNAL_ISSUE)
            t = T_MEDLINE_DATE;
        break;
    case EL_ARTICLE_TITLE:
        if (parent == EL_ARTICLE || parent == EL_BOOK_DOCUMENT)
            t = T_ARTICLE_TITLE;
        break;
    case EL_VERNACULAR_TITLE:
        if (parent == EL_ARTICLE || parent == EL_BOOK_DOCUMENT)
            t = T_VERN_TITLE;
        break;
    case EL_BOOK:
        container = parent == EL_BOOK_DOCUMENT;
        break;
    case EL_BOOK_TITLE:
        if (parent == EL_BOOK)
            t = T_BOOK_TITLE;
        break;
    case EL_ABSTRACT:
        container = parent == EL_ARTICLE || parent == EL_BOOK_DOCUMENT;
        break;
    case EL_ABSTRACT_TEXT:
        if (parent == EL_ABSTRACT) {
            if (copy_attr(p, &p->label, nb, attrs, "Label") != 0)
                return;
            t = T_ABSTRACT;
        }
        break;
    case EL_ELOCATION_ID:
        if ((parent == EL_ARTICLE || parent == EL_BOOK_DOCUMENT) &&
            attr_equals(nb, attrs, "EIdType", "doi"))
            t = T_ELOC_DOI;
        break;
    case EL_LANGUAGE:
        if ((parent == EL_ARTICLE || parent == EL_BOOK_DOCUMENT) && !p->art.language)
            t = T_LANGUAGE;
        break;
    case EL_PUBLICATION_TYPE:
        if (parent == EL_PUBLICATION_TYPE_LIST || parent == EL_BOOK_DOCUMENT) {
            if (copy_attr(p, &p->ui, nb, attrs, "UI") != 0)
                return;
            t = T_PUBTYPE;
        }
        break;
    case EL_DATE_REVISED:
        container = parent == EL_MEDLINE_CITATION || parent == EL_BOOK_DOCUMENT;
        break;
    case EL_MESH_HEADING_LIST:
        container = parent == EL_MEDLINE_CITATION;
        break;
    case EL_MESH_HEADING:
        if (parent == EL_MESH_HEADING_LIST) {
            free(p->mesh_name);
            p->mesh_name = NULL;
            lm_buf_reset(&p->mesh_ui);
            p->mesh_major = 0;
            container = 1;
        }
        break;
    case EL_DESCRIPTOR_NAME:
        if (parent == EL_MESH_HEADING) {
            if (copy_attr(p, &p->mesh_ui, nb, attrs, "UI") != 0)
                return;
            if (attr_equals(nb, attrs, "MajorTopicYN", "Y"))
                p->mesh_major = 1;
            t = T_DESCRIPTOR;
        }
        break;
    case EL_QUALIFIER_NAME:
        if (parent == EL_MESH_HEADING) {
            if (copy_attr(p, &p->ui, nb, attrs, "UI") != 0)
                return;
            p->qual_major = attr_equals(nb, attrs, "MajorTopicYN", "Y");
            t = T_QUALIFIER;
        }
        break;
    case EL_ARTICLE_ID_LIST:
        container = parent == EL_PUBMED_DATA || parent == EL_PUBMED_BOOK_DATA ||
                    parent == EL_BOOK_DOCUMENT || parent == EL_REFERENCE;
        break;
    case EL_ARTICLE_ID:
        if (parent == EL_ARTICLE_ID_LIST && grand == EL_REFERENCE) {
            if (attr_equals(nb, attrs, "IdType", "pubmed"))
                t = T_REF_PMID;
            else if (attr_equals(nb, attrs, "IdType", "doi"))
                t = T_REF_DOI;
            else if (attr_equals(nb, attrs, "IdType", "pmc"))
                t = T_REF_PMC;
        } else if (parent == EL_ARTICLE_ID_LIST && attr_equals(nb, attrs, "IdType", "doi")) {
            t = T_ID_DOI;
        } else if (parent == EL_ARTICLE_ID_LIST && attr_equals(nb, attrs, "IdType", "pmc")) {
            t = T_ID_PMC;
        }
        break;
    case EL_AUTHOR_LIST:
        container = parent == EL_ARTICLE || parent == EL_BOOK_DOCUMENT;
        break;
    case EL_AUTHOR: {
        lm_author *au;
        if (parent == EL_AUTHOR_LIST && !p->reject && article_keep(p, ENTRY_COST)) {
            if (lm_article_add_author(&p->art, &au) != LM_OK) {
                fail_nomem(p);
                return;
            }
            container = 1;
        }
        break;
    }
    case EL_LAST_NAME:
    case EL_FORE_NAME:
    case EL_INITIALS:
    case EL_COLLECTIVE_NAME:
        if (parent == EL_AUTHOR)
            t = id == EL_LAST_NAME   ? T_AU_LAST
                : id == EL_FORE_NAME ? T_AU_FORE
                : id == EL_INITIALS  ? T_AU_INITIALS
                                     : T_AU_COLLECTIVE;
        break;
    case EL_IDENTIFIER:
        if (parent == EL_AUTHOR && attr_equals(nb, attrs, "Source", "ORCID"))
            t = T_AU_ORCID;
        break;
    case EL_AFFILIATION_INFO:
        container = parent == EL_AUTHOR;
        break;
    case EL_AFFILIATION:
        if (parent == EL_AFFILIATION_INFO)
            t = T_AU_AFFILIATION;
        break;
    case EL_KEYWORD_LIST:
        container = parent == EL_MEDLINE_CITATION || parent == EL_BOOK_DOCUMENT;
        break;
    case EL_KEYWORD:
        if (parent == EL_KEYWORD_LIST) {
            p->keyword_major = attr_equals(nb, attrs, "MajorTopicYN", "Y");
            t = T_KEYWORD;
        }
        break;
    case EL_GRANT_LIST:
        container = parent == EL_ARTICLE || parent == EL_BOOK_DOCUMENT;
        break;
    case EL_GRANT: {
        lm_grant *g;
        if (parent == EL_GRANT_LIST && !p->reject && article_keep(p, ENTRY_COST)) {
            if (lm_article_add_grant(&p->art, &g) != LM_OK) {
                fail_nomem(p);
                return;
            }
            container = 1;
        }
        break;
    }
    case EL_GRANT_ID:
    case EL_ACRONYM:
    case EL_AGENCY:
    case EL_COUNTRY:
        if (parent == EL_GRANT)
            t = id == EL_GRANT_ID  ? T_GRANT_ID
                : id == EL_ACRONYM ? T_GRANT_ACRONYM
                : id == EL_AGENCY  ? T_GRANT_AGENCY
                                   : T_GRANT_COUNTRY;
        break;
    case EL_CHEMICAL_LIST:
        container = parent == EL_MEDLINE_CITATION;
        break;
    case EL_CHEMICAL:
        container = parent == EL_CHEMICAL_LIST;
        break;
    case EL_REGISTRY_NUMBER:
        if (parent == EL_CHEMICAL)
            t = T_CHEM_RN;
        break;
    case EL_NAME_OF_SUBSTANCE:
        if (parent == EL_CHEMICAL) {
            if (copy_attr(p, &p->chem_ui, nb, attrs, "UI") != 0)
                return;
            t = T_CHEM_NAME;
        }
        break;
    case EL_COMMENTS_CORRECTIONS_LIST:
        container = parent == EL_MEDLINE_CITATION;
        break;
    case EL_COMMENTS_CORRECTIONS:
    case EL_REFERENCE:
        if ((id == EL_REFERENCE ? parent == EL_REFERENCE_LIST
                                : parent == EL_COMMENTS_CORRECTIONS_LIST) &&
            !p->reject && article_keep(p, ENTRY_COST)) {
            const char *v = NULL;
            size_t n = 0;
            char kind[64] = "Cites";
            if (id == EL_COMMENTS_CORRECTIONS && attr_find(nb, attrs, "RefType", &v, &n))
                snprintf(kind, sizeof kind, "%.*s", (int)(n < 63 ? n : 63), v);
            lm_reference *r;
            if (lm_article_add_reference(&p->art, kind, &r) != LM_OK) {
                fail_nomem(p);
                return;
            }
            container = 1;
        }
        break;
    case EL_REF_SOURCE:
        if (parent == EL_COMMENTS_CORRECTIONS)
            t = T_REF_CITATION;
        break;
    case EL_CITATION:
        if (parent == EL_REFERENCE)
            t = T_REF_CITATION;
        break;
    case EL_REFERENCE_LIST:
        container = parent == EL_PUBMED_DATA || parent == EL_REFERENCE_LIST ||
                    parent == EL_PUBMED_BOOK_DATA;
        break;
    default:
        break;
    }

    if (container)
        p->stack[d - 1] = (unsigned char)id;
    else if (t != T_NONE)
        begin_capture(p, d, t);
    else
        p->skip_depth = d;
}

static void sax_end(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                    const xmlChar *uri)
{
    (void)localname;
    (void)prefix;
    (void)uri;
    lm_pubmed_parser *p = ctx;
    unsigned d = p->depth--;
    if (p->status != LM_OK)
        return;
    if (p->skip_depth) {
        if (d == p->skip_depth)
            p->skip_depth = 0;
        return;
    }
    if (p->cap_depth) {
        if (d == p->token_depth)
            p->token_depth = 0;
        if (d == p->math_depth)
            p->math_depth = 0;
        if (d != p->cap_depth)
            return;
        p->cap_depth = 0;
        capture_end(p);
        if (d == 1)
            root_end(p);
        return;
    }
    if (d == 1) {
        root_end(p);
        return;
    }
    switch (p->stack[d - 1]) {
    case EL_PUBMED_ARTICLE:
    case EL_PUBMED_BOOK_ARTICLE:
        article_end(p);
        break;
    case EL_MESH_HEADING:
        mesh_end(p);
        break;
    case EL_CHEMICAL:
        chemical_end(p);
        break;
    default:
        break;
    }
}

static void sax_chars(void *ctx, const xmlChar *ch, int len)
{
    lm_pubmed_parser *p = ctx;
    if (!p->cap_depth || (p->math_depth && !p->token_depth) || p->cap_over)
        return;
    if (p->text.len + (size_t)len > LM_PUBMED_FIELD_MAX) {
        p->cap_over = 1;   /* keeps what it has; nothing more of it is kept */
        return;
    }
    if (lm_buf_append(&p->text, (const char *)ch, (size_t)len) != LM_OK)
        fail_nomem(p);
}

static void sax_error(void *ctx, xmlErrorPtr e)
{
    lm_pubmed_parser *p = ctx;
    if (!e || e->level != XML_ERR_FATAL || p->status != LM_OK)
        return;
    /* With no root element libxml2 reports a bare prolog as "Extra
     * content at the end of the document". */
    if (e->code == XML_ERR_DOCUMENT_EMPTY ||
        (e->code == XML_ERR_DOCUMENT_END && p->root == ROOT_UNSEEN)) {
        fail(p, LM_ERR_PARSE, "%s: empty document", p->source);
        return;
    }
    const char *msg = e->message ? e->message : "malformed XML";
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' ' || msg[n - 1] == '\r'))
        n--;
    fail(p, LM_ERR_PARSE, "%s:%d: %.*s", p->source, e->line,
         n > INT_MAX ? INT_MAX : (int)n, msg);
}

static void sax_entity_decl(void *ctx, const xmlChar *name, int type,
                            const xmlChar *public_id, const xmlChar *system_id,
                            xmlChar *content)
{
    (void)name, (void)type, (void)public_id, (void)system_id, (void)content;
    lm_pubmed_parser *p = ctx;
    fail(p, LM_ERR_FORMAT, "%s:%d: the document declares XML entities; refused", p->source,
         xmlSAX2GetLineNumber(p->ctxt));
}

/* ---- pushing bytes --------------------------------------------------------- */

static lm_status ctxt_create(lm_pubmed_parser *p)
{
    xmlSAXHandler sax;
    memset(&sax, 0, sizeof sax);
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = sax_start;
    sax.endElementNs = sax_end;
    sax.characters = sax_chars;
    /* Identical handlers make libxml2 skip its "ignorable blank" test. */
    sax.ignorableWhitespace = sax_chars;
    sax.cdataBlock = sax_chars;
    sax.serror = sax_error;
    sax.entityDecl = sax_entity_decl;
    p->ctxt = xmlCreatePushParserCtxt(&sax, p, NULL, 0, NULL);
    if (!p->ctxt)
        return fail_nomem(p);
    /* No XML_PARSE_HUGE: libxml2's own limits (10 MB for a token it holds
     * whole) keep a hostile attribute or name from growing without bound;
     * text content streams through sax_chars, which caps it itself. */
    xmlCtxtUseOptions(p->ctxt, XML_PARSE_NONET | XML_PARSE_NOENT);
    return LM_OK;
}

static lm_status push(lm_pubmed_parser *p, const char *data, size_t len, int terminate)
{
    if (!p->ctxt && ctxt_create(p) != LM_OK)
        return p->status;
    do {
        int n = len > (1u << 30) ? (1 << 30) : (int)len;
        int last = terminate && (size_t)n == len;
        int rc = xmlParseChunk(p->ctxt, data, n, last);
        if (p->status != LM_OK)
            return p->status;
        /* libxml2 halts on bytes its declared encoding cannot convert
         * (returning XML_ERR_INVALID_ENCODING, or -1 when the input
         * buffer's converter failed) without a fatal error in the
         * context: the rest would be lost in silence. */
        if (rc == XML_ERR_INVALID_ENCODING || rc < 0)
            return fail(p, LM_ERR_PARSE, "%s:%d: bytes that are not in the document's "
                        "declared encoding", p->source, xmlSAX2GetLineNumber(p->ctxt));
        if (!p->ctxt->wellFormed) {
            /* A fatal error that did not reach sax_error. */
            const xmlError *e = &p->ctxt->lastError;
            return fail(p, LM_ERR_PARSE, "%s:%d: %s", p->source, e->line,
                        e->message ? e->message : "malformed XML");
        }
        if (n > 0)   /* finish() pushes (NULL, 0): NULL + 0 is undefined */
            data += n;
        len -= (size_t)n;
    } while (len > 0);
    return LM_OK;
}

/* Decides from the first bytes whether this is an HTML page.  Returns 1 for
 * HTML, 0 for not HTML, -1 when more bytes are needed. */
static int sniff_html(lm_pubmed_parser *p, int at_end)
{
    static const char *const marks[] = {"<!doctype html", "<html"};
    const unsigned char *s = (const unsigned char *)p->sniff;
    size_t n = p->sniff_len, i = 0;
    if (n >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)
        i = 3;
    else if (n < 3 && n > 0 && s[0] == 0xef && !at_end)
        return -1;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    if (i == n)
        return at_end || n == SNIFF_MAX ? 0 : -1;
    p->nonblank = 1;
    int maybe = 0;
    for (size_t m = 0; m < sizeof marks / sizeof marks[0]; m++) {
        size_t k = strlen(marks[m]), avail = n - i;
        size_t cmp = avail < k ? avail : k;
        if (strncasecmp((const char *)s + i, marks[m], cmp) != 0)
            continue;
        /* The name must end there: "<htmlish>" is not HTML. */
        if (avail > k) {
            unsigned char t = s[i + k];
            if (t == '>' || t == '/' || t == ' ' || t == '\t' || t == '\n' || t == '\r')
                return 1;
            continue;
        }
        maybe = 1;
    }
    return maybe && !at_end && n < SNIFF_MAX ? -1 : 0;
}

/* Runs the HTML check on the buffered prefix; once decided, hands the
 * prefix to libxml2.  *consumed tells how much of data went into sniff[]. */
static lm_status sniff_feed(lm_pubmed_parser *p, const char *data, size_t len,
                            size_t *consumed, int at_end)
{
    size_t take = SNIFF_MAX - p->sniff_len;
    if (take > len)
        take = len;
    memcpy(p->sniff + p->sniff_len, data, take);
    p->sniff_len += take;
    *consumed = take;
    int html = sniff_html(p, at_end);
    if (html < 0)
        return LM_OK;
    p->sniffed = 1;
    if (html)
        return fail(p, LM_ERR_FORMAT, "%s: got an HTML page instead of PubMed XML",
                    p->source);
    return push(p, p->sniff, p->sniff_len, 0);
}

/* ---- public API -------------------------------------------------------- */

lm_status lm_pubmed_parser_init(lm_pubmed_parser **out, const char *source_name,
                                const lm_pubmed_handler *handler, lm_error *err)
{
    *out = NULL;
    lm_pubmed_parser *p = calloc(1, sizeof *p);
    if (!p)
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    p->source = strdup(source_name ? source_name : "<input>");
    if (!p->source) {
        free(p);
        return lm_error_set(err, LM_ERR_NOMEM, "out of memory");
    }
    if (handler)
        p->handler = *handler;
    lm_buf_init(&p->text);
    lm_buf_init(&p->label);
    lm_buf_init(&p->abstract);
    lm_buf_init(&p->ui);
    lm_buf_init(&p->mesh_ui);
    lm_buf_init(&p->chem_ui);
    lm_buf_init(&p->eutils_error);
    lm_article_init(&p->art);
    /* Idempotent; makes first use from several threads safe as long as one
     * parser is created before the threads start. */
    xmlInitParser();
    *out = p;
    return LM_OK;
}

lm_status lm_pubmed_parser_feed(lm_pubmed_parser *p, const char *data, size_t len,
                                lm_error *err)
{
    if (p->status != LM_OK)
        return report(p, err);
    if (p->finished)
        return lm_error_set(err, LM_ERR_USAGE, "%s: feed after finish", p->source);
    p->stats.bytes_in += len;
    p->stats.bytes_xml += len;
    if (!p->sniffed) {
        size_t used;
        if (sniff_feed(p, data, len, &used, 0) != LM_OK || !p->sniffed)
            return report(p, err);
        data += used;
        len -= used;
    }
    if (len)
        push(p, data, len, 0);
    return report(p, err);
}

lm_status lm_pubmed_parser_finish(lm_pubmed_parser *p, lm_error *err)
{
    if (p->status != LM_OK || p->finished)
        return report(p, err);
    p->finished = 1;
    if (!p->sniffed) {
        size_t used;
        if (sniff_feed(p, "", 0, &used, 1) != LM_OK)
            return report(p, err);
    }
    if (!p->nonblank && p->root == ROOT_UNSEEN)
        fail(p, LM_ERR_PARSE, "%s: empty document", p->source);
    else if (push(p, NULL, 0, 1) == LM_OK && p->root == ROOT_UNSEEN)
        fail(p, LM_ERR_PARSE, "%s: empty document", p->source);
    return report(p, err);
}

const lm_pubmed_stats *lm_pubmed_parser_stats(const lm_pubmed_parser *p)
{
    return &p->stats;
}

void lm_pubmed_parser_free(lm_pubmed_parser *p)
{
    if (!p)
        return;
    if (p->ctxt) {
        /* Not freed by xmlFreeParserCtxt: the document libxml2 creates in
         * SAX mode to hold a DOCTYPE's entity declarations. */
        if (p->ctxt->myDoc)
            xmlFreeDoc(p->ctxt->myDoc);
        xmlFreeParserCtxt(p->ctxt);
    }
    article_reset(p);
    lm_buf_free(&p->text);
    lm_buf_free(&p->label);
    lm_buf_free(&p->abstract);
    lm_buf_free(&p->ui);
    lm_buf_free(&p->mesh_ui);
    lm_buf_free(&p->chem_ui);
    lm_buf_free(&p->eutils_error);
    free(p->source);
    free(p);
}

/* ---- whole files -------------------------------------------------------- */

typedef struct file_job {
    lm_pubmed_parser *parser;
    const char *name;
    lm_pubmed_progress_fn progress;
    void *progress_ctx;
    uint64_t raw_bytes;
    uint64_t next_progress;
} file_job;

static lm_status job_feed(file_job *j, const char *data, size_t len, lm_error *err)
{
    lm_status st = lm_pubmed_parser_feed(j->parser, data, len, err);
    if (st != LM_OK)
        return st;
    if (j->progress && j->parser->stats.bytes_xml >= j->next_progress) {
        lm_pubmed_stats s = j->parser->stats;
        s.bytes_in = j->raw_bytes;
        j->progress(j->progress_ctx, &s);
        j->next_progress = s.bytes_xml + PROGRESS_EVERY;
    }
    return LM_OK;
}

/* Reads up to cap bytes, retrying on EINTR; returns -1 on error. */
static ssize_t read_some(int fd, char *buf, size_t cap)
{
    for (;;) {
        ssize_t n = read(fd, buf, cap);
        if (n >= 0 || errno != EINTR)
            return n;
    }
}

/* A gzip file's MD5 is computed on a helper thread, one chunk at a time,
 * while this thread inflates and parses the same (read-only) chunk.  The
 * chunk buffer is only refilled after the hash of the previous chunk has
 * been joined. */
typedef struct md5_chunk {
    lm_md5 *md5;
    const char *data;
    size_t len;
    pthread_t thread;
    int running;
} md5_chunk;

static void *md5_chunk_main(void *arg)
{
    md5_chunk *c = arg;
    lm_md5_update(c->md5, c->data, c->len);
    return NULL;
}

static void md5_chunk_start(md5_chunk *c, lm_md5 *md5, const char *data, size_t len)
{
    c->md5 = md5;
    c->data = data;
    c->len = len;
    c->running = pthread_create(&c->thread, NULL, md5_chunk_main, c) == 0;
    if (!c->running)
        lm_md5_update(md5, data, len);   /* no thread to spare: hash inline */
}

static void md5_chunk_join(md5_chunk *c)
{
    if (c->running)
        pthread_join(c->thread, NULL);
    c->running = 0;
}

/* xxh and md5 may be NULL (no digest wanted).  The MD5 is only computed
 * for gzip input: on plain XML it would cost half as much as the parse. */
static lm_status parse_fd(file_job *j, int fd, lm_digest_xxh128 *xxh, lm_md5 *md5,
                          int *gzip_seen, int *read_all, lm_error *err)
{
    char *in = malloc(READ_CHUNK);
    char *out = malloc(READ_CHUNK);
    if (!in || !out) {
        free(in);
        free(out);
        return lm_error_set(err, LM_ERR_NOMEM, "%s: out of memory", j->name);
    }
    lm_status st = LM_OK;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    int gzip = -1;          /* -1 undecided (fewer than 2 bytes seen) */
    int z_ready = 0, member_done = 0;
    size_t have = 0;        /* bytes held in `in` while undecided */
    md5_chunk hashing = {0};

    for (;;) {
        md5_chunk_join(&hashing);   /* `in` is about to be overwritten */
        ssize_t n = read_some(fd, in + have, READ_CHUNK - have);
        if (n < 0) {
            st = lm_error_set(err, LM_ERR_IO, "%s: read failed: %s", j->name,
                              strerror(errno));
            break;
        }
        if (n == 0) {
            *read_all = 1;
            if (gzip < 0 && have > 0) {
                gzip = 0;   /* one byte can't be gzip */
                st = job_feed(j, in, have, err);
                if (st != LM_OK)
                    break;
            }
            if (gzip == 1 && !member_done)
                st = lm_error_set(err, LM_ERR_PARSE, "%s: truncated gzip data",
                                  j->name);
            else
                st = lm_pubmed_parser_finish(j->parser, err);
            break;
        }
        if (xxh)
            lm_digest_xxh128_update(xxh, in + have, (size_t)n);
        j->raw_bytes += (uint64_t)n;
        have += (size_t)n;
        if (gzip < 0) {
            if (have < 2)
                continue;
            gzip = (unsigned char)in[0] == 0x1f && (unsigned char)in[1] == 0x8b;
            *gzip_seen = gzip;
        }
        size_t len = have;
        have = 0;
        if (gzip && md5)
            md5_chunk_start(&hashing, md5, in, len);
        if (!gzip) {
            st = job_feed(j, in, len, err);
            if (st != LM_OK)
                break;
            continue;
        }
        if (!z_ready) {
            if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
                st = lm_error_set(err, LM_ERR_NOMEM, "%s: zlib init failed", j->name);
                break;
            }
            z_ready = 1;
        }
        zs.next_in = (Bytef *)in;
        zs.avail_in = (uInt)len;
        while (zs.avail_in > 0 && st == LM_OK) {
            if (member_done) {
                /* Concatenated gzip members decompress as one stream. */
                inflateReset(&zs);
                member_done = 0;
            }
            zs.next_out = (Bytef *)out;
            zs.avail_out = READ_CHUNK;
            uInt before = zs.avail_in;
            int zr = inflate(&zs, Z_NO_FLUSH);
            size_t produced = READ_CHUNK - zs.avail_out;
            if (zr == Z_BUF_ERROR && produced == 0 && zs.avail_in == before)
                break;   /* needs more input */
            /* What was inflated before a fault is delivered first: a bad
             * CRC is only found at the end of a member, after its last
             * chunk, whose articles must not be lost. */
            if (produced)
                st = job_feed(j, out, produced, err);
            if (st == LM_OK && zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
                st = lm_error_set(err, zr == Z_MEM_ERROR ? LM_ERR_NOMEM : LM_ERR_PARSE,
                                  "%s: corrupt gzip data (%s)", j->name,
                                  zs.msg ? zs.msg : "inflate failed");
                break;
            }
            if (zr == Z_STREAM_END)
                member_done = 1;
        }
        if (st != LM_OK)
            break;
    }
    md5_chunk_join(&hashing);
    if (z_ready)
        inflateEnd(&zs);
    free(in);
    free(out);
    return st;
}

/* Waits, in slices so that cancel is polled often, until a writer has
 * opened the FIFO fd (data or its end are then readable). */
static lm_status wait_for_writer(int fd, const char *name, int wait_ms, const lm_cancel *cancel,
                                 lm_error *err)
{
    for (int waited = 0;;) {
        if (lm_cancel_requested(cancel))
            return lm_error_set(err, LM_ERR_INTERRUPTED,
                                "%s: interrupted while waiting for a writer", name);
        struct pollfd pfd = {fd, POLLIN, 0};
        int slice = wait_ms - waited < 200 ? wait_ms - waited : 200;
        int n = poll(&pfd, 1, slice > 0 ? slice : 0);
        if (n > 0)
            return LM_OK;
        if (n < 0 && errno != EINTR)
            return lm_error_set(err, LM_ERR_IO, "%s: %s", name, strerror(errno));
        if (n == 0 && (waited += slice) >= wait_ms)
            return lm_error_set(err, LM_ERR_IO,
                                "%s: no writer opened this named pipe within %d s", name,
                                (wait_ms + 999) / 1000);
    }
}

lm_status lm_pubmed_open(const char *path, int fifo_wait_ms, const lm_cancel *cancel, int *fd,
                         lm_error *err)
{
    if (strcmp(path, "-") == 0) {
        *fd = STDIN_FILENO;
        return LM_OK;
    }
    /* Non-blocking, so that opening a named pipe nobody writes to cannot
     * hang: the wait for its writer is bounded below. */
    *fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (*fd < 0)
        return lm_error_set(err, LM_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat sb;
    lm_status st = LM_OK;
    if (fstat(*fd, &sb) != 0)
        st = lm_error_set(err, LM_ERR_IO, "%s: %s", path, strerror(errno));
    else if (S_ISFIFO(sb.st_mode))
        st = wait_for_writer(*fd, path, fifo_wait_ms, cancel, err);
    int flags = fcntl(*fd, F_GETFL);
    if (st == LM_OK && (flags < 0 || fcntl(*fd, F_SETFL, flags & ~O_NONBLOCK) != 0))
        st = lm_error_set(err, LM_ERR_IO, "%s: %s", path, strerror(errno));
    if (st != LM_OK) {
        close(*fd);
        *fd = -1;
    }
    return st;
}

lm_status lm_pubmed_parse_fd(int fd, const char *name, const lm_pubmed_handler *handler,
                             lm_pubmed_progress_fn progress, void *progress_ctx,
                             lm_pubmed_stats *stats, lm_file_digest *digest, lm_error *err)
{
    if (stats)
        memset(stats, 0, sizeof *stats);
    if (digest) {
        digest->xxh128[0] = '\0';
        digest->md5[0] = '\0';
    }
    file_job j = {.name = name, .progress = progress, .progress_ctx = progress_ctx,
                  .next_progress = PROGRESS_EVERY};
    lm_status st = lm_pubmed_parser_init(&j.parser, name, handler, err);
    if (st != LM_OK)
        return st;
    lm_digest_xxh128 *xxh = NULL;
    if (digest && (st = lm_digest_xxh128_init(&xxh, err)) != LM_OK) {
        lm_pubmed_parser_free(j.parser);
        return st;
    }
    lm_md5 md5;
    lm_md5_init(&md5);
    int read_all = 0, gzip = 0;
    st = parse_fd(&j, fd, xxh, digest ? &md5 : NULL, &gzip, &read_all, err);
    if (stats) {
        *stats = j.parser->stats;
        stats->bytes_in = j.raw_bytes;
    }
    if (digest && read_all) {
        lm_digest_xxh128_hex(xxh, digest->xxh128);
        if (gzip)
            lm_md5_final_hex(&md5, digest->md5);
    }
    lm_digest_xxh128_free(xxh);
    lm_pubmed_parser_free(j.parser);
    return st;
}

lm_status lm_pubmed_parse_file(const char *path, const lm_pubmed_handler *handler,
                               lm_pubmed_progress_fn progress, void *progress_ctx,
                               lm_pubmed_stats *stats, lm_file_digest *digest,
                               lm_error *err)
{
    int is_stdin = strcmp(path, "-") == 0;
    if (stats)
        memset(stats, 0, sizeof *stats);
    if (digest) {
        digest->xxh128[0] = '\0';
        digest->md5[0] = '\0';
    }
    int fd;
    lm_status st = lm_pubmed_open(path, LM_PUBMED_FIFO_WAIT_MS, NULL, &fd, err);
    if (st != LM_OK)
        return st;
    st = lm_pubmed_parse_fd(fd, is_stdin ? "<stdin>" : path, handler, progress, progress_ctx,
                            stats, digest, err);
    if (!is_stdin)
        close(fd);
    return st;
}
