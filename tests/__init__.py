from . import test_corpus
from . import test_gateway
from . import test_i18n
from . import test_inbound
from . import test_receiver
from . import test_sending_domain
from . import test_ui
from . import test_web_client
