/*
 * lm_date: calendar days as numbers, for date windows and their slicing.
 *
 * A day is the count of days since 0001-01-01 in the proleptic Gregorian
 * calendar, so ranges can be halved, compared and stepped with integer
 * arithmetic and printed back.  No time zones beyond a fixed UTC offset:
 * NCBI's dates are US Eastern days, and litmine only needs "which day is
 * it there now" (lm_date_today_at).
 */
#ifndef LM_DATE_H
#define LM_DATE_H

#include "lm_error.h"

#include <stdint.h>

/* Room for "YYYY/MM/DD" and its NUL. */
#define LM_DATE_TEXT 11

int lm_date_days_in_month(int year, int month);
/* The day number of a valid date (month 1..12, day 1..days in month). */
int64_t lm_date_days(int year, int month, int day);
void lm_date_from_days(int64_t days, int *year, int *month, int *day);

/* Parses "YYYY", "YYYY/MM" or "YYYY/MM/DD" ('-' or '.' may separate too).
 * A partial date stands for its first day, or its last when is_max is
 * set.  LM_ERR_USAGE with a message for anything else. */
lm_status lm_date_parse(const char *s, int is_max, int64_t *out, lm_error *err);
/* Writes "YYYY/MM/DD" (sep '/') or "YYYY-MM-DD" (sep '-'). */
void lm_date_format(int64_t days, char sep, char out[LM_DATE_TEXT]);

/* Today where the clock is utc_offset_s seconds ahead of UTC (0: UTC;
 * -5 * 3600: US Eastern standard time). */
int64_t lm_date_today_at(long utc_offset_s);

#endif
