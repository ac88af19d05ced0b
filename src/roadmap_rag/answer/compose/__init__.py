"""The grounded composer (the answer without an LLM), one module per answer shape over a shared builder.

``composer`` picks the question's shape and dispatches; ``builder`` and ``state`` hold what every shape uses;
``lists``, ``about`` (and compare), ``path``, ``paper`` and ``fact`` are the shapes, ``section`` and ``verdict``
the readings the fact and list shapes start from.
"""

from roadmap_rag.answer.compose.builder import Composition
from roadmap_rag.answer.compose.composer import Composer

__all__ = ["Composer", "Composition"]
