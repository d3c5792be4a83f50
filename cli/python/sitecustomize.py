# Put first on PYTHONPATH by `wirelog run` and `wirelog env`. aiohttp ignores the proxy
# variables unless a ClientSession is made with trust_env=True; this makes True the default
# for every new session (an explicit trust_env=False still wins). requests, httpx and urllib
# need nothing. Then it runs the sitecustomize it hides, if there is one, so nothing is lost.
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))


def _patch(module):
    session = getattr(module, "ClientSession", None)
    if session is None or getattr(session, "_wirelog_trust_env", False):
        return
    original = session.__init__

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("trust_env", True)
        original(self, *args, **kwargs)

    session.__init__ = __init__
    session._wirelog_trust_env = True


class _PatchingLoader(importlib.abc.Loader):
    def __init__(self, inner):
        self._inner = inner

    def create_module(self, spec):
        return self._inner.create_module(spec)

    def exec_module(self, module):
        self._inner.exec_module(module)
        _patch(module)


class _AiohttpClientFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "aiohttp.client":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _PatchingLoader(spec.loader)
        return spec


def _run_hidden_sitecustomize():
    for entry in sys.path:
        if os.path.abspath(entry or ".") == _HERE:
            continue
        spec = importlib.machinery.PathFinder.find_spec("sitecustomize", [entry])
        if spec is None or spec.loader is None or os.path.dirname(os.path.abspath(spec.origin or "")) == _HERE:
            continue
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return


try:
    if "aiohttp.client" in sys.modules:
        _patch(sys.modules["aiohttp.client"])
    else:
        sys.meta_path.insert(0, _AiohttpClientFinder())
except Exception as err:  # never stop the program wirelog was asked to watch
    sys.stderr.write("wirelog: could not make aiohttp read the proxy variables: %s\n" % err)
_run_hidden_sitecustomize()
