from . import test_web_client
