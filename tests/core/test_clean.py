

def test_a_moment_from_outside_is_kept_in_utc(settings):
    import datetime

    from fangkong.core.clean import in_utc

    odd = datetime.datetime(2022, 4, 18, 5, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=21, minutes=36)))
    assert in_utc(odd) == odd and in_utc(odd).utcoffset() == datetime.timedelta(0)
    settings.TIME_ZONE = "Asia/Shanghai"
    assert in_utc(datetime.datetime(2022, 4, 18, 5, 0)) == datetime.datetime(2022, 4, 17, 21, 0, tzinfo=datetime.UTC)
