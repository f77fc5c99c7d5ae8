"""Chinese dates as the pages write them: Django's own formats, but a day of the month
without a leading zero on the month ("1月6日", not "01月6日"), as the hand-written pages had
it. Every other format is Django's zh_Hans."""

MONTH_DAY_FORMAT = "n月j日"
# a day and a time without the year (`core.when`): the month-day the pages have always written
DAY_FORMAT = "m-d"
DAY_TIME_FORMAT = "m-d H:i"
