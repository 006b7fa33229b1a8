"""The message catalogue: every key in every language, one language in force at a time."""

import pytest

from forecast import i18n


def test_every_key_has_every_language_and_no_key_repeats():
    texts = i18n.catalogue()
    assert texts, "the catalogue is empty"
    for key, entry in texts.items():
        assert set(entry) == set(i18n.LANGUAGES), key


def test_language_in_force_follows_argument_context_then_environment(monkeypatch):
    monkeypatch.setenv(i18n.LANGUAGE_SETTING, "zh")
    assert i18n.gettext("measure.skills_training") == "技能培训"
    with i18n.use_language("en"):
        assert i18n.gettext("measure.skills_training") == "skills training"
        assert i18n.gettext("measure.skills_training", "zh") == "技能培训"
    monkeypatch.delenv(i18n.LANGUAGE_SETTING)
    assert i18n.current_language() == "en"


def test_unknown_key_or_language_is_refused_by_name():
    with pytest.raises(i18n.CatalogueError, match="no text for 'nope'"):
        i18n.gettext("nope")
    with pytest.raises(i18n.CatalogueError, match="'fr' is not one of en, zh"):
        i18n.gettext("measure.skills_training", "fr")


def test_repeated_key_and_missing_language_are_refused(tmp_path):
    (tmp_path / "a.yaml").write_text("k:\n  en: a\n  zh: 甲\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("k:\n  en: b\n  zh: 乙\n", encoding="utf-8")
    with pytest.raises(i18n.CatalogueError, match="b.yaml: k: already in a.yaml"):
        i18n.catalogue(tmp_path)
    (tmp_path / "b.yaml").write_text("j:\n  en: b\n", encoding="utf-8")
    with pytest.raises(i18n.CatalogueError, match="j: needs exactly the languages"):
        i18n.catalogue(tmp_path)
