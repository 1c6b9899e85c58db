from tidings_testkit import EventStoreSuite


class TestThrowaway(EventStoreSuite):
    url = "tw://"
