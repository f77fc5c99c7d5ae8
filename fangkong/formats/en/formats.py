"""English dates and times as the Chinese pages write them: a 24-hour clock and year-month-day
(a worker reads "2026-12-06 14:50" beside the date of a notice, never "12/06/2026 2:32 p.m.")."""

DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
MONTH_DAY_FORMAT = "F j"
YEAR_MONTH_FORMAT = "F Y"
# a day and a time without the year (`core.when`): the month in letters, "12-07" reads as 12 July
DAY_FORMAT = "j M"
DAY_TIME_FORMAT = "j M H:i"
FIRST_DAY_OF_WEEK = 1  # Monday, as in China
