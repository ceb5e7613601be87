/*
 * The pages: server-rendered HTML, one small style sheet, no script
 * (the Content-Security-Policy forbids any), the year chart drawn as
 * inline SVG here.
 *
 * Every string that comes from the database or the request goes through
 * lm_serve_html_escape (text and attribute values alike, quotes
 * included) or, inside a URL, url_arg (percent-encoding everything but
 * the unreserved characters) — there is no other way text reaches a
 * page.  Marked text (snippets, the abstract) is cut at every span
 * boundary and each piece is escaped on its own, so a mention, a query
 * word and an evidence sentence may overlap without ever producing
 * crossed tags.
 */
#include "../util/lm_sort.h"
#include "../util/lm_utf8.h"
#include "lm_serve_impl.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void lm_serve_html_escape_n(FILE *f, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep = NULL;
        switch (s[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: break;
        }
        if (!rep)
            continue;
        fwrite(s + run, 1, i - run, f);
        fputs(rep, f);
        run = i + 1;
    }
    fwrite(s + run, 1, n - run, f);
}

void lm_serve_html_escape(FILE *f, const char *s)
{
    if (s)
        lm_serve_html_escape_n(f, s, strlen(s));
}

/* Percent-encodes s for a URL path segment or query value. */
static void url_arg(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~')
            fputc(*p, f);
        else
            fprintf(f, "%%%02X", *p);
    }
}

/* A CSS class name from a type: letters only ("Chemical"). */
static void type_class(FILE *f, const char *type)
{
    for (const char *p = type ? type : ""; *p; p++)
        if (isalpha((unsigned char)*p))
            fputc(*p, f);
}

static void concept_link(FILE *f, const char *id, const char *label)
{
    if (!id || !id[0] || strcmp(id, "-") == 0) {
        lm_serve_html_escape(f, label ? label : "?");
        return;
    }
    fputs("<a href=\"/concept/", f);
    url_arg(f, id);
    fputs("\">", f);
    lm_serve_html_escape(f, label ? label : id);
    fputs("</a>", f);
}

static void page_begin(FILE *f, const char *title, const char *q)
{
    fputs("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
          "<title>", f);
    lm_serve_html_escape(f, title);
    fputs(" — litmine</title><link rel=\"stylesheet\" href=\"/static/style.css\"></head>\n"
          "<body><header><a class=\"brand\" href=\"/\">litmine</a>"
          "<form class=\"search\" action=\"/search\" method=\"get\" role=\"search\">"
          "<input type=\"search\" name=\"q\" maxlength=\"512\" placeholder=\"drugs, diseases, "
          "genes, or a claim\" aria-label=\"search\" value=\"", f);
    lm_serve_html_escape(f, q);
    fputs("\"><button type=\"submit\">Search</button></form>"
          "<nav><a href=\"/pairs\">Pairs</a></nav></header>\n<main>", f);
}

static void page_end(FILE *f)
{
    fputs("</main>\n<footer>litmine " LM_VERSION " · read-only · "
          "<a href=\"/api/search?q=example\">JSON API</a></footer></body></html>\n", f);
}

void lm_serve_html_error(FILE *f, int status, const char *msg)
{
    char title[32];
    snprintf(title, sizeof title, "Error %d", status);
    page_begin(f, title, NULL);
    fprintf(f, "<h1>%d</h1><p class=\"error\">", status);
    lm_serve_html_escape(f, msg);
    fputs("</p>", f);
    page_end(f);
}

/* ---- marked text ------------------------------------------------------------ */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Writes text[0..len) with the spans marked: entity mentions as links to
 * their concept (class "e e-TYPE"), query words bold, the evidence
 * sentence as <mark>.  Spans outside the text are ignored. */
static void marked_text(FILE *f, const char *text, size_t len, const lm_serve_span *sp, size_t n)
{
    uint32_t *cut = malloc((2 * n + 2) * sizeof *cut);
    if (!cut) {
        lm_serve_html_escape_n(f, text, len);
        return;
    }
    size_t nc = 0;
    cut[nc++] = 0;
    cut[nc++] = (uint32_t)len;
    for (size_t i = 0; i < n; i++) {
        if (sp[i].start < sp[i].end && sp[i].end <= len) {
            cut[nc++] = sp[i].start;
            cut[nc++] = sp[i].end;
        }
    }
    lm_qsort(cut, nc, sizeof *cut, cmp_u32);
    int evidence_anchor = 0;
    for (size_t c = 0; c + 1 < nc; c++) {
        uint32_t a = cut[c], b = cut[c + 1];
        if (a == b)
            continue;
        const lm_serve_span *ent = NULL;
        int bold = 0, ev = 0;
        for (size_t i = 0; i < n; i++) {
            if (sp[i].end > len || sp[i].start > a || sp[i].end < b)
                continue;
            if (sp[i].type && !ent)
                ent = &sp[i];
            bold |= sp[i].query;
            ev |= sp[i].evidence;
        }
        if (ev) {
            fputs(evidence_anchor ? "<mark class=\"evidence\">" : "<mark class=\"evidence\" "
                                                                  "id=\"evidence\">", f);
            evidence_anchor = 1;
        }
        if (ent) {
            if (ent->concept_id) {
                fputs("<a class=\"e e-", f);
                type_class(f, ent->type);
                fputs("\" href=\"/concept/", f);
                url_arg(f, ent->concept_id);
                fputs("\" title=\"", f);
                lm_serve_html_escape(f, ent->type);
                fputc(' ', f);
                lm_serve_html_escape(f, ent->concept_id);
                fputs("\">", f);
            } else {
                fputs("<span class=\"e e-", f);
                type_class(f, ent->type);
                fputs("\" title=\"", f);
                lm_serve_html_escape(f, ent->type);
                fputs(" (no concept)\">", f);
            }
        }
        if (bold)
            fputs("<b>", f);
        lm_serve_html_escape_n(f, text + a, b - a);
        if (bold)
            fputs("</b>", f);
        if (ent)
            fputs(ent->concept_id ? "</a>" : "</span>", f);
        if (ev)
            fputs("</mark>", f);
    }
    free(cut);
}

static void legend(FILE *f)
{
    fputs("<p class=\"legend\"><span class=\"e e-Chemical\">chemical</span> "
          "<span class=\"e e-Disease\">disease</span> <span class=\"e e-Gene\">gene</span></p>",
          f);
}

/* ---- search -------------------------------------------------------------------- */

/* Writes "/search?q=...&year=...&concept=..." (HTML-escaped ampersands)
 * with one facet changed: year/concept NULL drops it. */
static void search_url(FILE *f, const lm_serve_search_view *v, const char *mode, const char *year,
                       const char *concept, int page)
{
    fputs("/search?q=", f);
    url_arg(f, v->query);
    if (mode && mode[0]) {
        fputs("&amp;mode=", f);
        url_arg(f, mode);
    }
    if (year) {
        fputs("&amp;year=", f);
        url_arg(f, year);
    }
    if (concept) {
        fputs("&amp;concept=", f);
        url_arg(f, concept);
    }
    if (page > 1)
        fprintf(f, "&amp;page=%d", page);
}

static void search_page(FILE *f, lm_serve *sv, const lm_serve_search_view *v, const char *mode)
{
    fputs("<div class=\"layout\"><aside class=\"facets\">", f);
    if (v->year || v->concept) {
        fputs("<p><a href=\"", f);
        search_url(f, v, mode, NULL, NULL, 1);
        fputs("\">× clear filters</a></p>", f);
    }
    fputs("<h2>Years</h2><ul class=\"facet\" id=\"facet-years\">", f);
    for (size_t i = 0; i < v->n_years; i++) {
        char y[16];
        snprintf(y, sizeof y, "%d", v->years[i].year);
        fputs("<li><a href=\"", f);
        search_url(f, v, mode, y, v->concept, 1);
        fprintf(f, "\"%s>%d</a> <span class=\"n\">%" PRId64 "</span></li>",
                v->year && strcmp(v->year, y) == 0 ? " class=\"on\"" : "", v->years[i].year,
                v->years[i].n);
    }
    fputs("</ul><h2>Concepts</h2><ul class=\"facet\" id=\"facet-concepts\">", f);
    for (size_t i = 0; i < v->n_concepts; i++) {
        const lm_serve_count *c = &v->concepts[i];
        fputs("<li><a class=\"e-", f);
        type_class(f, c->type);
        if (v->concept && strcmp(v->concept, c->id) == 0)
            fputs(" on", f);
        fputs("\" href=\"", f);
        search_url(f, v, mode, v->year, c->id, 1);
        fputs("\">", f);
        lm_serve_html_escape(f, lm_serve_concept_name(sv, c->id, c->text));
        fprintf(f, "</a> <span class=\"n\">%" PRId64 "</span></li>", c->n);
    }
    fputs("</ul></aside><section class=\"results\">", f);
    fprintf(f, "<p class=\"summary\">%" PRId64 " result%s for <q>", v->total,
            v->total == 1 ? "" : "s");
    lm_serve_html_escape(f, v->query);
    fputs("</q> (", f);
    lm_serve_html_escape(f, v->mode);
    fputs(")", f);
    if (v->n_query_concepts) {
        fputs(" · concepts in the query:", f);
        for (size_t i = 0; i < v->n_query_concepts; i++) {
            fputs(" <span class=\"chip e-", f);
            type_class(f, v->query_concepts[i].type);
            fputs("\">", f);
            concept_link(f, v->query_concepts[i].id, v->query_concepts[i].text);
            fputs("</span>", f);
        }
    }
    fputs("</p>\n<ol class=\"hits\">", f);
    for (size_t i = 0; i < v->n_hits; i++) {
        const lm_serve_hit *h = &v->hits[i];
        fprintf(f, "<li><a class=\"title\" href=\"/article/%" PRId64 "\">", h->pmid);
        lm_serve_html_escape(f, h->title && h->title[0] ? h->title : "(no title)");
        fputs("</a><div class=\"meta\">", f);
        if (h->journal) {
            lm_serve_html_escape(f, h->journal);
            fputs(" · ", f);
        }
        if (h->year)
            fprintf(f, "%d · ", h->year);
        fprintf(f, "PMID %" PRId64 " · score %.3f</div>", h->pmid, h->score);
        if (h->snippet && h->snippet[0]) {
            fputs("<p class=\"snippet\">", f);
            marked_text(f, h->snippet, strlen(h->snippet), h->spans, h->n_spans);
            fputs("</p>", f);
        }
        fputs("</li>\n", f);
    }
    fputs("</ol>", f);
    int64_t pages = (v->total + LM_SERVE_PAGE_HITS - 1) / LM_SERVE_PAGE_HITS;
    if (pages > 1) {
        fputs("<nav class=\"pages\">", f);
        if (v->page > 1) {
            fputs("<a rel=\"prev\" href=\"", f);
            search_url(f, v, mode, v->year, v->concept, v->page - 1);
            fputs("\">← previous</a> ", f);
        }
        fprintf(f, "page %d of %" PRId64, v->page, pages);
        if (v->page < pages) {
            fputs(" <a rel=\"next\" href=\"", f);
            search_url(f, v, mode, v->year, v->concept, v->page + 1);
            fputs("\">next →</a>", f);
        }
        fputs("</nav>", f);
    }
    fputs("<p class=\"api\"><a href=\"/api", f);
    search_url(f, v, mode, v->year, v->concept, v->page);
    fputs("\">this page as JSON</a></p></section></div>", f);
}

/* The search arguments of a request; 0 with why set on a bad one. */
static int search_args(const lm_serve_request *rq, lm_serve_search_args *a, char *why,
                       size_t cap)
{
    memset(a, 0, sizeof *a);
    a->query = rq->arg(rq, "q");
    a->mode = rq->arg(rq, "mode");
    a->concept = rq->arg(rq, "concept");
    if (a->concept && !a->concept[0])
        a->concept = NULL;
    long y, p;
    if (!lm_serve_arg_int(rq, "year", 1, 9999, 0, &y)) {
        snprintf(why, cap, "year: a year");
        return 0;
    }
    if (!lm_serve_arg_int(rq, "page", 1, LM_SERVE_CANDIDATES, 1, &p)) {
        snprintf(why, cap, "page: 1 to %d", LM_SERVE_CANDIDATES);
        return 0;
    }
    a->year = (int)y;
    a->page = (int)p;
    a->per_page = LM_SERVE_PAGE_HITS;
    return 1;
}

/* Runs a search for the page or the API; 0 when it failed (r says why). */
int lm_serve_search_request(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                            lm_serve_response *r, int json, int per_page,
                            lm_serve_search_view *v)
{
    lm_serve_search_args a;
    char why[128];
    if (!search_args(rq, &a, why, sizeof why)) {
        lm_serve_fail(r, 400, json, "%s", why);
        return 0;
    }
    if (per_page > 0)
        a.per_page = per_page;
    if (!a.query || !a.query[0]) {
        lm_serve_fail(r, 400, json, "q: the search text is missing");
        return 0;
    }
    lm_error err = {0};
    lm_status st = lm_serve_search_run(sv, w, &a, v, &err);
    if (st != LM_OK) {
        lm_serve_fail(r, st == LM_ERR_USAGE ? 400 : 500, json, "%s", err.msg);
        return 0;
    }
    return 1;
}

void lm_serve_page_search(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                          lm_serve_response *r)
{
    const char *q = rq->arg(rq, "q");
    if (!q || !q[0]) {
        lm_serve_page_home(sv, w, rq, r);
        return;
    }
    lm_serve_search_view v;
    if (!lm_serve_search_request(sv, w, rq, r, 0, 0, &v))
        return;
    page_begin(r->f, v.query, v.query);
    search_page(r->f, sv, &v, rq->arg(rq, "mode"));
    page_end(r->f);
    lm_serve_search_view_free(&v);
}

void lm_serve_page_home(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                        lm_serve_response *r)
{
    const char *q = rq->arg(rq, "q");
    if (q && q[0] && strcmp(rq->path, "/") == 0) {
        lm_serve_page_search(sv, w, rq, r);
        return;
    }
    page_begin(r->f, "Search", NULL);
    fprintf(r->f, "<h1>Search your corpus</h1><p>Type a few words, a drug, a disease or a "
                  "claim above. %zu concepts are mentioned in the stored abstracts; browse the "
                  "<a href=\"/pairs\">chemical–disease pairs</a>.</p>", w->index->n_concepts);
    legend(r->f);
    page_end(r->f);
}

/* ---- article ---------------------------------------------------------------------- */

/* The spans of mentions (and the evidence of the chosen pair) that fall
 * in text[from..to), relative to from. */
static size_t article_spans(const lm_serve_article_view *v, uint32_t from, uint32_t to,
                            uint32_t ev0, uint32_t ev1, lm_serve_span *out)
{
    size_t n = 0;
    for (size_t i = 0; i < v->n_mentions; i++) {
        const lm_serve_mention *m = &v->mentions[i];
        if (m->bstart < from || m->bend > to)
            continue;
        lm_serve_span s = {m->bstart - from, m->bend - from, 0, 0, m->type, m->concept_id};
        out[n++] = s;
    }
    if (ev1 > ev0) {
        uint32_t a = ev0 > from ? ev0 : from, b = ev1 < to ? ev1 : to;
        if (b > a) {
            lm_serve_span s = {a - from, b - from, 0, 1, NULL, NULL};
            out[n++] = s;
        }
    }
    return n;
}

/* Opens a pair's row: "<tr><td>chemical</td><td>relation</td><td>disease",
 * the concepts linked and shown by their lexicon names. */
static void pair_cells(FILE *f, const lm_serve *sv, const char *chem_id, const char *chem,
                       const char *relation, const char *dis_id, const char *dis)
{
    fputs("<tr><td>", f);
    concept_link(f, chem_id, lm_serve_concept_name(sv, chem_id, chem));
    fputs("</td><td class=\"rel\">", f);
    lm_serve_html_escape(f, relation);
    fputs("</td><td>", f);
    concept_link(f, dis_id, lm_serve_concept_name(sv, dis_id, dis));
}

/* The link to an article with a pair's evidence sentence marked. */
static void evidence_href(FILE *f, int64_t pmid, const char *chem_id, const char *dis_id)
{
    fprintf(f, "/article/%" PRId64 "?chemical=", pmid);
    url_arg(f, chem_id);
    fputs("&amp;disease=", f);
    url_arg(f, dis_id);
    fputs("#evidence", f);
}

static void pair_row_html(FILE *f, const lm_serve *sv, int64_t pmid, const lm_pair_row *p)
{
    pair_cells(f, sv, p->chemical_id, p->chemical_text, p->relation, p->disease_id,
               p->disease_text);
    fprintf(f, "</td><td class=\"num\">%.2f</td><td>", p->score);
    if (p->evidence) {
        fputs("<a href=\"", f);
        evidence_href(f, pmid, p->chemical_id, p->disease_id);
        fputs("\">", f);
        lm_serve_html_escape(f, p->evidence);
        fputs("</a>", f);
    }
    fputs("</td></tr>\n", f);
}

void lm_serve_page_article(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                           lm_serve_response *r)
{
    const char *id = rq->path + strlen("/article/");
    char *end;
    long long pmid = strtoll(id, &end, 10);
    if (*end || pmid <= 0) {
        lm_serve_fail(r, 400, 0, "not a PMID: %.40s", id);
        return;
    }
    lm_serve_article_view v;
    lm_error err = {0};
    lm_status st = lm_serve_article_load(sv, w->store, pmid, &v, &err);
    if (st != LM_OK) {
        lm_serve_fail(r, st == LM_ERR_NOTFOUND ? 404 : 500, 0, "%s", err.msg);
        return;
    }
    /* the evidence of the pair the link came from */
    uint32_t ev0 = 0, ev1 = 0;
    const char *chem = rq->arg(rq, "chemical"), *dis = rq->arg(rq, "disease");
    lm_utf8_map map;
    lm_utf8_map_init(&map);
    for (size_t i = 0; chem && dis && i < v.n_pairs; i++) {
        const lm_pair_row *p = &v.pairs[i];
        if (p->evidence_start < 0 || strcmp(p->chemical_id, chem) != 0 ||
            strcmp(p->disease_id, dis) != 0)
            continue;
        if (lm_utf8_map_build(&map, v.text, strlen(v.text), &err) == LM_OK) {
            size_t a = lm_utf8_map_to_byte(&map, (size_t)p->evidence_start);
            size_t b = lm_utf8_map_to_byte(&map, (size_t)p->evidence_end);
            if (a != SIZE_MAX && b != SIZE_MAX && b > a) {
                ev0 = (uint32_t)a;
                ev1 = (uint32_t)b;
            }
        }
        break;
    }
    lm_utf8_map_free(&map);
    lm_serve_span *spans = malloc((v.n_mentions + 1) * sizeof *spans);
    if (!spans) {
        lm_serve_article_view_free(&v);
        lm_serve_fail(r, 500, 0, "out of memory");
        return;
    }
    FILE *f = r->f;
    const lm_article *a = &v.a;
    page_begin(f, a->title && a->title[0] ? a->title : "(no title)", NULL);
    fputs("<article><h1 class=\"title\">", f);
    size_t n = article_spans(&v, 0, (uint32_t)v.title_bytes, ev0, ev1, spans);
    marked_text(f, v.text, v.title_bytes, spans, n);
    fputs("</h1><p class=\"meta\">", f);
    if (a->journal) {
        fputs("<span class=\"journal\">", f);
        lm_serve_html_escape(f, a->journal);
        fputs("</span> · ", f);
    }
    if (a->year)
        fprintf(f, "%d · ", a->year);
    fprintf(f, "<a href=\"https://pubmed.ncbi.nlm.nih.gov/%lld/\" rel=\"noopener\">PMID "
               "%lld</a>", pmid, pmid);
    if (a->doi) {
        fputs(" · <a href=\"https://doi.org/", f);
        lm_serve_html_escape(f, a->doi);
        fputs("\" rel=\"noopener\">doi:", f);
        lm_serve_html_escape(f, a->doi);
        fputs("</a>", f);
    }
    fputs("</p>", f);
    legend(f);
    fputs("<p class=\"abstract\">", f);
    size_t from = v.title_bytes + 1, len = strlen(v.text) - from;
    n = article_spans(&v, (uint32_t)from, (uint32_t)(from + len), ev0, ev1, spans);
    if (len)
        marked_text(f, v.text + from, len, spans, n);
    else
        fputs("<i>(no abstract)</i>", f);
    fputs("</p>", f);
    fprintf(f, "<h2 id=\"pairs\">Chemical–disease pairs (%zu)</h2>", v.n_pairs);
    if (v.n_pairs) {
        fputs("<table class=\"pairs\"><thead><tr><th>chemical</th><th>relation</th>"
              "<th>disease</th><th>score</th><th>evidence</th></tr></thead><tbody>", f);
        for (size_t i = 0; i < v.n_pairs; i++)
            pair_row_html(f, sv, pmid, &v.pairs[i]);
        fputs("</tbody></table>", f);
    }
    if (a->n_mesh) {
        fputs("<h2>MeSH terms</h2><ul class=\"mesh\">", f);
        for (size_t i = 0; i < a->n_mesh; i++) {
            fputs(a->mesh[i].major_topic ? "<li class=\"major\">" : "<li>", f);
            lm_serve_html_escape(f, a->mesh[i].name);
            fputs("</li>", f);
        }
        fputs("</ul>", f);
    }
    if (a->n_pubtypes) {
        fputs("<p class=\"meta\">", f);
        for (size_t i = 0; i < a->n_pubtypes; i++) {
            if (i)
                fputs(" · ", f);
            lm_serve_html_escape(f, a->pubtypes[i].name);
        }
        fputs("</p>", f);
    }
    fprintf(f, "<p class=\"api\"><a href=\"/api/article/%lld\">JSON</a> · "
               "<a href=\"/publications/export/pubtator?pmids=%lld\">PubTator</a></p></article>",
            pmid, pmid);
    page_end(f);
    free(spans);
    lm_serve_article_view_free(&v);
}

/* ---- concept ------------------------------------------------------------------------ */

void lm_serve_svg_years(FILE *f, const lm_serve_count *years, size_t n)
{
    int lo = 0, hi = 0;
    int64_t max = 0;
    for (size_t i = 0; i < n; i++) {
        if (years[i].year <= 0)
            continue;
        if (!lo || years[i].year < lo)
            lo = years[i].year;
        if (years[i].year > hi)
            hi = years[i].year;
        if (years[i].n > max)
            max = years[i].n;
    }
    if (!lo) {
        fputs("<p class=\"meta\">No publication years known.</p>", f);
        return;
    }
    const int W = 640, H = 220, left = 44, right = 12, top = 12, bottom = 28;
    int span = hi - lo + 1;
    double slot = (double)(W - left - right) / span, bar = slot > 3 ? slot * 0.8 : slot;
    fprintf(f, "<svg class=\"chart\" id=\"years-chart\" xmlns=\"http://www.w3.org/2000/svg\" "
               "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
               "aria-label=\"articles per year, %d to %d\">",
            W, H, W, H, lo, hi);
    int base = H - bottom;
    fprintf(f, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", left, base,
            W - right, base);
    fprintf(f, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", left, top, left,
            base);
    fprintf(f, "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%" PRId64 "</text>",
            left - 6, top + 10, max);
    fprintf(f, "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>", left - 6,
            base);
    for (size_t i = 0; i < n; i++) {
        if (years[i].year <= 0)
            continue;
        double h = (double)(base - top) * (double)years[i].n / (double)max;
        double x = left + slot * (years[i].year - lo) + (slot - bar) / 2;
        fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
                   "<title>%d: %" PRId64 " article%s</title></rect>",
                x, base - h, bar, h, years[i].year, years[i].n, years[i].n == 1 ? "" : "s");
    }
    int step = span <= 12 ? 1 : span <= 30 ? 5 : 10;
    for (int y = lo; y <= hi; y++) {
        if (y != lo && y != hi && y % step)
            continue;
        if (y != lo && y != hi && (hi - y) * slot < 30)
            continue;
        fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>",
                left + slot * (y - lo) + slot / 2, H - 10, y);
    }
    fputs("</svg>", f);
}

void lm_serve_page_concept(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                           lm_serve_response *r)
{
    const char *id = rq->path + strlen("/concept/");
    if (strlen(id) > LM_SERVE_MAX_ARG) {
        lm_serve_fail(r, 400, 0, "concept id too long");
        return;
    }
    lm_serve_concept_view v;
    lm_error err = {0};
    lm_status st = lm_serve_concept_load(sv, w, id, &v, &err);
    if (st != LM_OK) {
        lm_serve_fail(r, st == LM_ERR_NOTFOUND ? 404 : 500, 0, "%s", err.msg);
        return;
    }
    FILE *f = r->f;
    page_begin(f, v.name, NULL);
    fputs("<h1 class=\"concept e-", f);
    type_class(f, v.sum.type);
    fputs("\">", f);
    lm_serve_html_escape(f, v.name);
    fputs("</h1><p class=\"meta\">", f);
    lm_serve_html_escape(f, v.sum.type);
    fputs(" · <code>", f);
    lm_serve_html_escape(f, v.id);
    fprintf(f, "</code> · %" PRId64 " article%s · %" PRId64 " mentions · %" PRId64
               " pairs</p>",
            v.sum.articles, v.sum.articles == 1 ? "" : "s", v.sum.mentions, v.sum.pairs);
    if (v.n_names) {
        fputs("<p class=\"synonyms\">Written as: ", f);
        for (size_t i = 0; i < v.n_names; i++) {
            if (i)
                fputs(", ", f);
            lm_serve_html_escape(f, v.names[i].text);
            fprintf(f, " <span class=\"n\">%" PRId64 "</span>", v.names[i].n);
        }
        fputs("</p>", f);
    }
    fputs("<p><a href=\"/search?q=", f);
    url_arg(f, v.name);
    fputs("&amp;concept=", f);
    url_arg(f, v.id);
    fputs("\">Search articles mentioning it</a></p><h2>Articles per year</h2>", f);
    lm_serve_svg_years(f, v.years, v.n_years);
    fputs("<div class=\"cols\"><section><h2>Mentioned with</h2><table><thead><tr><th>concept"
          "</th><th>articles</th></tr></thead><tbody>", f);
    for (size_t i = 0; i < v.n_comentions; i++) {
        const lm_serve_count *c = &v.comentions[i];
        fputs("<tr><td><span class=\"dot e-", f);
        type_class(f, c->type);
        fputs("\"></span>", f);
        concept_link(f, c->id, lm_serve_concept_name(sv, c->id, c->text));
        fprintf(f, "</td><td class=\"num\">%" PRId64 "</td></tr>", c->n);
    }
    fputs("</tbody></table></section><section><h2>Top pairs</h2><table><thead><tr>"
          "<th>chemical</th><th>relation</th><th>disease</th><th>articles</th><th>since</th>"
          "</tr></thead><tbody>", f);
    for (size_t i = 0; i < v.n_pairs; i++) {
        const lm_serve_pair_count *p = &v.pairs[i];
        pair_cells(f, sv, p->chemical_id, p->chemical, p->relation, p->disease_id, p->disease);
        fputs("</td><td class=\"num\"><a href=\"/pairs?chemical=", f);
        url_arg(f, p->chemical_id);
        fputs("&amp;disease=", f);
        url_arg(f, p->disease_id);
        fputs("&amp;relation=", f);
        url_arg(f, p->relation);
        fprintf(f, "\">%" PRId64 "</a></td><td class=\"num\">", p->articles);
        if (p->first_year)
            fprintf(f, "%d", p->first_year);
        fputs("</td></tr>", f);
    }
    fputs("</tbody></table></section></div><p class=\"api\"><a href=\"/api/concept/", f);
    url_arg(f, v.id);
    fputs("\">JSON</a></p>", f);
    page_end(f);
    lm_serve_concept_view_free(&v);
}

/* ---- pairs ----------------------------------------------------------------------------- */

/* The filter's parameters again, for links (page, CSV); 1 when any. */
static int pairs_filter_url(FILE *f, const lm_serve_request *rq)
{
    static const char *const keys[] = {"chemical", "disease",   "relation", "min_score",
                                       "year_from", "year_to", "sort"};
    int first = 1;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *v = rq->arg(rq, keys[i]);
        if (!v || !v[0])
            continue;
        fputs(first ? "?" : "&amp;", f);
        fputs(keys[i], f);
        fputc('=', f);
        url_arg(f, v);
        first = 0;
    }
    return !first;
}

typedef struct pairs_html {
    FILE *f;
    const lm_serve *sv;
} pairs_html;

static lm_status pairs_html_row(void *ctx, const lm_pairs_query_row *r)
{
    pairs_html *ph = ctx;
    FILE *f = ph->f;
    const lm_pair_row *p = &r->pair;
    pair_cells(f, ph->sv, p->chemical_id, p->chemical_text, p->relation, p->disease_id,
               p->disease_text);
    fprintf(f, "</td><td class=\"num\">%.2f</td><td class=\"num\">", p->score);
    if (r->year)
        fprintf(f, "%d", r->year);
    fputs("</td><td><a href=\"", f);
    evidence_href(f, p->pmid, p->chemical_id, p->disease_id);
    fprintf(f, "\">%" PRId64 "</a></td><td class=\"evidence\">", p->pmid);
    lm_serve_html_escape(f, p->evidence ? p->evidence : "");
    fputs("</td></tr>\n", f);
    return LM_OK;
}

static void input(FILE *f, const lm_serve_request *rq, const char *name, const char *label,
                  const char *attrs)
{
    fprintf(f, "<label>%s <input name=\"%s\" %s value=\"", label, name, attrs);
    lm_serve_html_escape(f, rq->arg(rq, name));
    fputs("\"></label>", f);
}

void lm_serve_page_pairs(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                         lm_serve_response *r)
{
    lm_pairs_query q;
    char why[128];
    long page;
    if (!lm_serve_pairs_args(sv, rq, &q, why, sizeof why) ||
        !lm_serve_arg_int(rq, "page", 1, 100000, 1, &page)) {
        lm_serve_fail(r, 400, 0, "%s", why[0] ? why : "page: a number");
        return;
    }
    lm_error err = {0};
    int64_t total = 0;
    lm_status st = lm_store_pairs_query_count(w->store, &q, &total, &err);
    FILE *f = r->f;
    if (st == LM_OK) {
        page_begin(f, "Pairs", NULL);
        fputs("<h1>Chemical–disease pairs</h1><form class=\"filter\" action=\"/pairs\" "
              "method=\"get\">", f);
        input(f, rq, "chemical", "chemical", "placeholder=\"name or MESH:D…\" maxlength=\"256\"");
        input(f, rq, "disease", "disease", "placeholder=\"name or MESH:D…\" maxlength=\"256\"");
        const char *rel = rq->arg(rq, "relation");
        fputs("<label>relation <select name=\"relation\"><option value=\"\">any relation"
              "</option>", f);
        static const char *const rels[] = {"induces", "treats", "associated", "cooccurs"};
        for (size_t i = 0; i < 4; i++)
            fprintf(f, "<option%s>%s</option>", rel && strcmp(rel, rels[i]) == 0 ? " selected" : "",
                    rels[i]);
        fputs("</select></label>", f);
        input(f, rq, "min_score", "min score", "type=\"number\" min=\"0\" max=\"1\" "
                                               "step=\"0.05\"");
        input(f, rq, "year_from", "from", "type=\"number\" min=\"1800\" max=\"2100\"");
        input(f, rq, "year_to", "to", "type=\"number\" min=\"1800\" max=\"2100\"");
        const char *sort = rq->arg(rq, "sort");
        fputs("<label>order <select name=\"sort\">", f);
        static const char *const sorts[3][2] = {
            {"score", "best score"}, {"oldest", "oldest first"}, {"newest", "newest first"}};
        for (size_t i = 0; i < 3; i++)
            fprintf(f, "<option value=\"%s\"%s>%s</option>", sorts[i][0],
                    sort && strcmp(sort, sorts[i][0]) == 0 ? " selected" : "", sorts[i][1]);
        fputs("</select></label>", f);
        fputs("<button type=\"submit\">Filter</button></form>", f);
        fprintf(f, "<p class=\"summary\">%" PRId64 " pair%s · <a class=\"csv\" "
                   "href=\"/pairs.csv", total, total == 1 ? "" : "s");
        pairs_filter_url(f, rq);
        fputs("\">download CSV</a> · <a href=\"/api/pairs", f);
        pairs_filter_url(f, rq);
        fputs("\">JSON</a></p><table class=\"pairs\" id=\"pairs-table\"><thead><tr>"
              "<th>chemical</th><th>relation</th><th>disease</th><th>score</th><th>year</th>"
              "<th>PMID</th><th>evidence</th></tr></thead><tbody>", f);
        q.offset = (page - 1) * LM_SERVE_PAGE_PAIRS;
        q.limit = LM_SERVE_PAGE_PAIRS;
        pairs_html ph = {f, sv};
        st = lm_store_pairs_query(w->store, &q, pairs_html_row, &ph, &err);
    }
    if (st != LM_OK) {
        lm_serve_fail(r, 500, 0, "%s", err.msg);
        return;
    }
    fputs("</tbody></table>", f);
    int64_t pages = (total + LM_SERVE_PAGE_PAIRS - 1) / LM_SERVE_PAGE_PAIRS;
    if (pages > 1) {
        fputs("<nav class=\"pages\">", f);
        for (int d = -1; d <= 1; d += 2) {
            long to = page + d;
            if (to < 1 || to > pages)
                continue;
            fputs("<a href=\"/pairs", f);
            fprintf(f, "%spage=%ld\">%s</a> ", pairs_filter_url(f, rq) ? "&amp;" : "?",
                    to, d < 0 ? "← previous" : "next →");
        }
        fprintf(f, "page %ld of %" PRId64 "</nav>", page, pages);
    }
    page_end(f);
}

/* ---- style ------------------------------------------------------------------------------- */

static const char style[] =
    ":root{--chem:#1f6feb;--dis:#c2410c;--gene:#15803d;--fg:#1f2328;--mute:#656d76;"
    "--line:#d0d7de;--bg:#fff}\n"
    "body{margin:0;font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--fg);"
    "background:var(--bg)}\n"
    "header{display:flex;gap:1rem;align-items:center;padding:.6rem 1.2rem;border-bottom:1px "
    "solid var(--line);background:#f6f8fa}\n"
    ".brand{font-weight:700;font-size:1.2rem;color:var(--fg);text-decoration:none}\n"
    "form.search{flex:1;display:flex;gap:.4rem}form.search input{flex:1;padding:.35rem .5rem;"
    "font:inherit}\nbutton{font:inherit;padding:.3rem .8rem}\n"
    "main{max-width:72rem;margin:0 auto;padding:1rem 1.2rem}\n"
    "footer{color:var(--mute);font-size:.85rem;padding:1rem 1.2rem;border-top:1px solid "
    "var(--line)}\n"
    "a{color:#0969da}.meta,.summary,.n{color:var(--mute)}.n{font-size:.85em}\n"
    ".layout{display:grid;grid-template-columns:15rem 1fr;gap:1.5rem}\n"
    ".facets h2{font-size:.95rem;margin:.8rem 0 .3rem}.facet{list-style:none;padding:0;"
    "margin:0}.facet a.on,.facet .on{font-weight:700}\n"
    "ol.hits{padding-left:1.4rem}ol.hits li{margin-bottom:1rem}a.title{font-weight:600;"
    "font-size:1.05rem}\n.snippet{margin:.2rem 0}\n"
    ".e{text-decoration:none;border-radius:3px;padding:0 2px;color:inherit}\n"
    ".e-Chemical.e{background:#ddf4ff;border-bottom:2px solid var(--chem)}\n"
    ".e-Disease.e{background:#fff1e5;border-bottom:2px solid var(--dis)}\n"
    ".e-Gene.e{background:#dafbe1;border-bottom:2px solid var(--gene)}\n"
    "a.e-Chemical,.chip.e-Chemical a{color:var(--chem)}a.e-Disease,.chip.e-Disease a"
    "{color:var(--dis)}a.e-Gene,.chip.e-Gene a{color:var(--gene)}\n"
    ".dot{display:inline-block;width:.6rem;height:.6rem;border-radius:50%;margin-right:.4rem;"
    "background:var(--mute)}.dot.e-Chemical{background:var(--chem)}.dot.e-Disease"
    "{background:var(--dis)}.dot.e-Gene{background:var(--gene)}\n"
    "mark.evidence{background:#fff8c5;outline:1px solid #d4a72c}\n"
    ".abstract{font-size:1.02rem;line-height:1.7}\n"
    "table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border-bottom:1px solid "
    "var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}td.num{text-align:"
    "right;white-space:nowrap}td.rel{font-style:italic}td.evidence{font-size:.9rem}\n"
    ".cols{display:grid;grid-template-columns:1fr 1.6fr;gap:1.5rem}\n"
    "svg.chart .bar{fill:var(--chem)}svg.chart .bar:hover{fill:#0550ae}svg.chart .axis"
    "{stroke:var(--mute)}svg.chart .tick{font-size:11px;fill:var(--mute)}\n"
    "form.filter{display:flex;flex-wrap:wrap;gap:.6rem;align-items:end}form.filter input"
    "{width:10rem}form.filter input[type=number]{width:5.5rem}\n"
    ".legend .e{margin-right:.5rem}.error{color:#b00}ul.mesh{columns:2}li.major{font-weight:600}"
    "\n@media (max-width:50rem){.layout,.cols{grid-template-columns:1fr}}\n";

void lm_serve_page_css(lm_serve *sv, lm_serve_worker *w, const lm_serve_request *rq,
                       lm_serve_response *r)
{
    (void)sv;
    (void)w;
    (void)rq;
    r->content_type = "text/css; charset=utf-8";
    fputs(style, r->f);
}
