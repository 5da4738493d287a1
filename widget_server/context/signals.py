"""What one question says about its asker, in counts: its topics (keywords), its intent,
its language and its length (SPEC §15 "user_context").

Nothing here keeps the question: :func:`signals_of` reduces it to a few labels, and only
those are stored (``context/history.py``). The rules are plain and cheap, since they run
for every question: keywords are the question's words less common function words (and
less runs of scripts written without spaces, which are no words);
the intent is the first rule that matches (troubleshooting, comparison, recommendation,
instruction, question, conversation, else statement); the language is the script, or for
Latin script the language whose common words the question uses most.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ..words import is_unspaced, query_words

MAX_TOPIC_WORDS = 12  # keywords kept per question (the first ones)
MIN_TOPIC_CHARS = 3

INTENTS = (
    "troubleshooting",
    "comparison",
    "recommendation",
    "instruction",
    "question",
    "conversation",
    "statement",
)

_INTENT_RULES: tuple[tuple[str, re.Pattern], ...] = (
    (
        "troubleshooting",
        re.compile(
            r"\b(error|errors|bug|bugs|broken|crash\w*|fix|fails?|failing|failed|exception|"
            r"traceback|not working|doesn'?t work|won'?t work|issue with|problem with)\b"
        ),
    ),
    (
        "comparison",
        re.compile(r"\b(vs\.?|versus|compare\w*|comparison|difference between|better than)\b"),
    ),
    (
        "recommendation",
        re.compile(
            r"\b(recommend\w*|suggest\w*|should i|what'?s the best|which is best|advice|"
            r"best way)\b"
        ),
    ),
    (
        "instruction",
        re.compile(
            r"^(please\s+)?(write|create|make|generate|draft|summari[sz]e|translate|list|give|"
            r"build|design|plan|rewrite|rephrase|calculate|convert|code|implement|help me|"
            r"show me|tell me|explain|describe|outline|find)\b"
        ),
    ),
    (
        "question",
        re.compile(
            r"\?|^(what|how|why|when|where|who|whom|whose|which|is|are|can|could|do|does|"
            r"did|should|would|will|was|were|has|have)\b"
        ),
    ),
    (
        "conversation",
        re.compile(
            r"^(hi|hello|hey|thanks|thank you|thx|good (morning|evening|afternoon|night)|"
            r"ok|okay|bye|goodbye|cheers|great|cool|nice)\b"
        ),
    ),
)

# A few of each language's commonest words: enough to tell them apart in a question.
_LANGUAGE_WORDS = {
    "en": "the and is are to of in what how why you it for with this that can do my i me your "
    "was have",
    "es": "el la los las de que y es en por para cómo como qué con una un mi no se del está puedo",
    "fr": "le la les des et est que en pour comment quoi avec une un je vous pas du ce sur mon",
    "de": "der die das und ist nicht ich wie was mit ein eine zu für auf sie es den kann",
    "it": "il lo la gli le di che è e per come cosa con una un non mi sono del della",
    "pt": "o a os as de que é e em para como com uma um não eu você do da meu",
    "nl": "de het een en is van ik niet wat hoe met voor op zijn je dat",
}
_COMMON = {code: frozenset(words.split()) for code, words in _LANGUAGE_WORDS.items()}
_SCRIPTS = (  # a script that names its language (checked in this order)
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
)
LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "ja": "Japanese",
    "ko": "Korean",
    "zh": "Chinese",
    "ru": "Russian",
    "el": "Greek",
    "ar": "Arabic",
    "he": "Hebrew",
    "hi": "Hindi",
    "th": "Thai",
}

_OTHER_STOPWORDS = (
    "a an am be been being but by from if into its just more most not now of off on once only "
    "or other our out over own same so some such than then there these they those through too "
    "under until up very we were where which while who whom why will would about above after "
    "again against all any because before below between both could did does doing down during "
    "each few further had has having he her here hers him his how isn itself let ll me myself "
    "nor ours she should their theirs them themselves hi hello hey thanks thank please help "
    "want need know like make use using get got tell explain give show write create find also "
    "one two way ways thing things something anything everything yes okay ok sure really much "
    "many well good new gets go going think thought say said see seen look looking work works "
    "working question questions answer answers mean means may might must shall etc via per fix "
    "recommend suggest compare difference best better quel quelle quels cual cuál welche welcher"
)
_STOPWORDS = frozenset(_OTHER_STOPWORDS.split()).union(*_COMMON.values())


@dataclass(frozen=True)
class Signals:
    """One question, reduced to what is counted."""

    topics: tuple[str, ...]
    intent: str
    language: str | None  # a code of LANGUAGE_NAMES, or None when unknown
    chars: int


def signals_of(question: str) -> Signals:
    text = " ".join(question.split())
    words = [word.lower() for word in query_words(text, limit=400)]
    return Signals(
        topics=keywords(words, MAX_TOPIC_WORDS),
        intent=_intent(text.lower()),
        language=_language(text, words),
        chars=len(text),
    )


def keywords(words: list[str], limit: int, min_chars: int = MIN_TOPIC_CHARS) -> tuple[str, ...]:
    """The distinct words (lower case) that carry meaning, first ones first: no common
    function words, numbers, words under ``min_chars`` letters, or runs of unspaced
    scripts."""
    seen: dict[str, None] = {}
    for word in words:
        word = word.lower()
        if (
            len(word) < min_chars
            or word.isdigit()
            or word in _STOPWORDS
            or is_unspaced(word)  # a whole run of Chinese or Japanese: no keyword
        ):
            continue
        seen.setdefault(word, None)
        if len(seen) == limit:
            break
    return tuple(seen)


def _intent(lowered: str) -> str:
    for name, rule in _INTENT_RULES:
        if rule.search(lowered):
            return name
    return "statement"


def _language(text: str, words: list[str]) -> str | None:
    for code, script in _SCRIPTS:
        if script.search(text):
            return code
    hits = Counter(code for word in words for code, common in _COMMON.items() if word in common)
    if not hits:
        return None
    # The most hits; a tie goes to the language listed first.
    return max(_COMMON, key=lambda code: hits[code] * len(_COMMON) - list(_COMMON).index(code))
