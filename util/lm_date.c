/*
 * Calendar arithmetic (see lm_date.h).  Day numbers come from the days
 * before a year (365 per year plus the leap days) and the days of the
 * months before; the inverse walks forward from an underestimate, which
 * is at most a year or a month of steps.
 */
#include "lm_date.h"

#include <ctype.h>
#include <stdio.h>
#include <time.h>

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int lm_date_days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

static int64_t days_before_year(int y)
{
    int64_t p = y - 1;
    return p * 365 + p / 4 - p / 100 + p / 400;
}

int64_t lm_date_days(int y, int m, int d)
{
    int64_t n = days_before_year(y);
    for (int i = 1; i < m; i++)
        n += lm_date_days_in_month(y, i);
    return n + d - 1;
}

void lm_date_from_days(int64_t n, int *y, int *m, int *d)
{
    int year = (int)(n / 366) + 1;   /* an underestimate; walk forward */
    while (days_before_year(year + 1) <= n)
        year++;
    n -= days_before_year(year);
    int month = 1;
    while (n >= lm_date_days_in_month(year, month))
        n -= lm_date_days_in_month(year, month++);
    *y = year;
    *m = month;
    *d = (int)n + 1;
}

void lm_date_format(int64_t days, char sep, char out[LM_DATE_TEXT])
{
    int y, m, d;
    lm_date_from_days(days, &y, &m, &d);
    unsigned uy = (unsigned)y % 10000u, um = (unsigned)m % 100u, ud = (unsigned)d % 100u;
    snprintf(out, LM_DATE_TEXT, "%04u%c%02u%c%02u", uy, sep, um, sep, ud);
}

int64_t lm_date_today_at(long utc_offset_s)
{
    time_t t = time(NULL) + (time_t)utc_offset_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    return lm_date_days(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* Reads up to maxd digits; returns the count read. */
static int read_digits(const char **p, int maxd, int *value)
{
    int n = 0, v = 0;
    while (n < maxd && isdigit((unsigned char)**p)) {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    *value = v;
    return n;
}

lm_status lm_date_parse(const char *s, int is_max, int64_t *out, lm_error *err)
{
    const char *p = s;
    int y, m = is_max ? 12 : 1, d = 0;
    if (read_digits(&p, 4, &y) != 4 || y < 1)
        goto bad;
    if (*p == '/' || *p == '-' || *p == '.') {
        p++;
        if (read_digits(&p, 2, &m) == 0 || m < 1 || m > 12)
            goto bad;
        if (*p == '/' || *p == '-' || *p == '.') {
            p++;
            if (read_digits(&p, 2, &d) == 0)
                goto bad;
        }
    }
    if (*p)
        goto bad;
    if (d == 0)
        d = is_max ? lm_date_days_in_month(y, m) : 1;
    if (d < 1 || d > lm_date_days_in_month(y, m))
        goto bad;
    *out = lm_date_days(y, m, d);
    return LM_OK;
bad:
    return lm_error_set(err, LM_ERR_USAGE,
                        "bad date \"%.40s\": expected YYYY, YYYY/MM or YYYY/MM/DD", s);
}
