import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type HtmlContext, scanHtml } from './html-tokenizer.js';
import { detectXSS, explainXSS } from './xss.js';

function events(input: string, context: HtmlContext = 'data'): string[] {
  const out: string[] = [];
  const record = (event: string) => {
    out.push(event);
    return false;
  };
  scanHtml(input, context, {
    startTag: (name) => record(`<${name}>`),
    attribute: (name, value) => record(`${name}=${value}`),
    comment: (text, bogus) => record(`${bogus ? 'bogus' : 'comment'}:${text}`),
  });
  return out;
}

describe('HTML tokenizer', () => {
  test('tags and the three value syntaxes', () => {
    assert.deepEqual(events('x <a href="h" title=\'t\' data-x=u checked>y</a>'), [
      '<a>',
      'href=h',
      'title=t',
      'data-x=u',
    ]);
  });

  test('only `<` + ASCII letter opens a tag (HTML §13.2.5.6)', () => {
    assert.deepEqual(events('a < b <3 <1x <\xe9>'), []);
  });

  test('`/` separates attributes; a leading `=` belongs to the name', () => {
    assert.deepEqual(events('<svg/onload=x/>'), ['<svg>', 'onload=x/']);
    assert.deepEqual(events('<a =b=c>'), ['<a>', '=b=c']);
  });

  test('end tags report nothing, their attributes are dropped', () => {
    assert.deepEqual(events('</a onclick=x>'), []);
  });

  test('comments, bogus comments and processing instructions', () => {
    assert.deepEqual(events('<!--c--><!doctype html><?xml v?></ x>'), [
      'comment:c',
      'bogus:doctype html',
      'bogus:?xml v?',
      'bogus: x',
    ]);
  });

  test('attribute contexts: the input first closes the page value', () => {
    assert.deepEqual(events('a" onclick="b', 'attr-double'), ['onclick=b']);
    assert.deepEqual(events("a' x=1 y='2", 'attr-single'), ['x=1', 'y=2']);
    assert.deepEqual(events('a x=1><b>', 'attr-unquoted'), ['x=1', '<b>']);
    assert.deepEqual(events('no quote x=1', 'attr-double'), []);
  });

  test('comments end at -->, --!>, or at once for <!--> and <!--->', () => {
    assert.deepEqual(events('<!-- a --!><b><!--><i><!---><u><!-- x > y -->'), [
      'comment: a ',
      '<b>',
      'comment:',
      '<i>',
      'comment:',
      '<u>',
      'comment: x > y ',
    ]);
  });

  test('unterminated constructs end at the end of input', () => {
    assert.deepEqual(events('<img src="x'), ['<img>', 'src=x']);
    assert.deepEqual(events('<!-- open'), ['comment: open']);
  });
});

describe('detectXSS', () => {
  test('dangerous elements, also namespaced and in any case', () => {
    for (const tag of ['script', 'IFRAME', 'svg', 'x:script', 'xsl:value-of', 'Base']) {
      assert.equal(detectXSS(`<${tag}>`), true, tag);
    }
    for (const tag of ['b', 'p', 'img', 'a', 'div', 'scripts', 'svgx']) assert.equal(detectXSS(`<${tag}>`), false, tag);
  });

  test('event handlers need a value', () => {
    assert.equal(detectXSS('<p onclick=x>'), true);
    assert.equal(detectXSS('<p onclick>'), false);
    assert.equal(detectXSS('<p on=x>'), false);
  });

  test('script URLs only where a URL is dereferenced', () => {
    assert.equal(detectXSS('<a href="javascript:x">'), true);
    assert.equal(detectXSS('<a title="javascript:x">'), false);
    assert.equal(detectXSS('<a href="\x01 java\nscript:x">'), true);
    assert.equal(detectXSS('<a href="&#x6A;avascript&colon;x">'), true);
    assert.equal(detectXSS('<a href="javascript-docs.html">'), false);
  });

  test('data URLs: documents and scripts, not images', () => {
    assert.equal(detectXSS('<a href="data:text/html,x">'), true);
    assert.equal(detectXSS('<a href="data:image/svg+xml;base64,x">'), true);
    assert.equal(detectXSS('<a href="data:,x">'), true);
    assert.equal(detectXSS('<img src="data:image/gif;base64,R0lG">'), false);
  });

  test('style: only CSS that runs script', () => {
    assert.equal(detectXSS('<p style="color: red; margin: 0">'), false);
    assert.equal(detectXSS('<p style="x:exp/**/ression(1)">'), true);
    assert.equal(detectXSS('<p style="behavior: url(x.htc)">'), true);
  });

  test('a script URL after leading spaces written as character references', () => {
    assert.equal(detectXSS('<a href="&#32;javascript:alert(1)">'), true);
    assert.equal(detectXSS('<a href="&#x20;&#9;javascript:alert(1)">'), true);
  });

  test('SVG animation retargeting an event handler or a link', () => {
    assert.equal(detectXSS('<set attributeName="onmouseover" to="alert(1)"/>'), true);
    assert.equal(detectXSS('<animate attributeName="xlink:href" values="x"/>'), true);
    assert.equal(detectXSS('<animate attributeName="opacity" values="0;1"/>'), false);
  });

  test('DTD internal subsets and IE data binding', () => {
    assert.equal(detectXSS('<!DOCTYPE x [<!ENTITY a "b">]>'), true);
    assert.equal(detectXSS('<!DOCTYPE html>'), false);
    assert.equal(detectXSS('<div dataformatas="html" datasrc="#x">'), true);
  });

  test('a comment closed by --!> does not hide what follows', () => {
    assert.equal(detectXSS('<!-- x --!><img src=x onerror=alert(1)>'), true);
  });

  test('conditional comments and xmlns', () => {
    assert.equal(detectXSS('<!--[if IE]>x<![endif]-->'), true);
    assert.equal(detectXSS('<!-- if IE -->'), false);
    assert.equal(detectXSS('<p xmlns:x="urn:x">'), true);
  });

  test('a whole input that is a script URL, but not prose about JavaScript', () => {
    assert.equal(detectXSS(' javascript:alert(1)'), true);
    assert.equal(detectXSS('javascript: a language'), false);
    assert.equal(detectXSS('javascript:'), false);
  });

  test('breaking out of each attribute quoting', () => {
    assert.equal(detectXSS('x" onfocus="y'), true);
    assert.equal(detectXSS("x' onfocus='y"), true);
    assert.equal(detectXSS('x onfocus=y'), true);
    assert.equal(detectXSS('"x" is on'), false);
  });
});

describe('explainXSS', () => {
  test('names the context and what made the input script', () => {
    assert.deepEqual(explainXSS('<img src=x onerror=alert(1)>'), {
      context: 'data',
      reason: 'attribute onerror="alert(1)"',
    });
    assert.deepEqual(explainXSS('x" onfocus="y'), { context: 'attr-double', reason: 'attribute onfocus="y"' });
    assert.deepEqual(explainXSS('<ScRiPt>'), { context: 'data', reason: 'element <ScRiPt>' });
    assert.deepEqual(explainXSS('javascript:alert(1)'), { context: 'url', reason: 'the value is a script URL' });
    assert.equal(explainXSS('<b>hello</b>'), undefined);
  });

  test('agrees with detectXSS', () => {
    for (const v of ['<svg>', '<p>', 'a" b="c', "x' onclick='1", '<!--[if IE]>', '<a href="data:,x">']) {
      assert.equal(explainXSS(v) !== undefined, detectXSS(v), v);
    }
  });
});
