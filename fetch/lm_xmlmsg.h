/*
 * lm_xmlmsg: libxml2's own messages, routed to the program's diagnostics.
 *
 * libxml2 reports some problems outside any parser context — encoding
 * conversion failures, I/O errors, "encoder error" — through its global
 * error handlers, which by default print raw lines on stderr.  A program
 * installs one sink here, once, before it parses anything; every such
 * message then reaches it as one line, so that the CLI can prefix it,
 * give it a journal priority and escape it like its own.  Messages a
 * parser reports through its own context (lm_pubmed's SAX handler) are
 * not affected.
 */
#ifndef LM_XMLMSG_H
#define LM_XMLMSG_H

/* is_warning: libxml2 rated it a warning (else an error).  msg is one
 * line without its newline, valid during the call. */
typedef void (*lm_xmlmsg_sink)(void *ctx, int is_warning, const char *msg);

/* Routes libxml2's global messages to sink (NULL: drop them), in this
 * thread and in threads started later.  Call before threads parse XML. */
void lm_xmlmsg_route(lm_xmlmsg_sink sink, void *ctx);

#endif
