from tidings_testkit import AsyncEventStoreSuite, EventStoreSuite


class TestThrowaway(EventStoreSuite):
    url = "tw://"


class TestThrowawayAsync(AsyncEventStoreSuite):
    url = "tw://"
