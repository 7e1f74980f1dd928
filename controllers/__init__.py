from . import main
from . import inbound
