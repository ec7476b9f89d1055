"""A message's text as HTML: everything escaped, only http(s) addresses linked."""

from matchmaking.conversations.text import message_html


def test_plain_text_is_escaped_and_keeps_its_line_breaks():
    assert message_html('<b>Hi</b> & "you"\nsecond line') == (
        "&lt;b&gt;Hi&lt;/b&gt; &amp; &quot;you&quot;<br>second line"
    )


def test_http_and_https_addresses_become_links_without_trailing_punctuation():
    assert message_html("See https://example.org/a?b=1&c=2. Or http://x.test/(y)!") == (
        'See <a class="govuk-link" href="https://example.org/a?b=1&amp;c=2"'
        ' rel="nofollow noopener noreferrer">https://example.org/a?b=1&amp;c=2</a>.'
        ' Or <a class="govuk-link" href="http://x.test/(y)"'
        ' rel="nofollow noopener noreferrer">http://x.test/(y)</a>!'
    )


def test_other_schemes_and_injected_markup_stay_text():
    text = (
        "javascript:alert(1) data:text/html,<script>x</script> "
        'www.example.org mailto:a@b.c https://e.org/"onmouseover="x'
    )
    html = message_html(text)
    assert html.count("<a ") == 1
    assert "<script>" not in html
    assert '"onmouseover' not in html
    assert 'href="https://e.org/"' in html
    assert "javascript:alert(1)" in html  # shown, as text
    assert message_html("https:// and http://") == "https:// and http://"
