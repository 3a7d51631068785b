import { describe, expect, it } from 'vitest';
import { noneMatch } from '../../src/platform/http/browse-cache.js';

describe('If-None-Match', () => {
  const etag = 'W/"abc"';
  it('matches the same tag, weakly, in a list, or *', () => {
    expect(noneMatch('W/"abc"', etag)).toBe(true);
    expect(noneMatch('"abc"', etag)).toBe(true);
    expect(noneMatch('W/"x", W/"abc"', etag)).toBe(true);
    expect(noneMatch(' * ', etag)).toBe(true);
  });
  it('does not match another tag, a missing header or a tag inside another', () => {
    expect(noneMatch('W/"abcd"', etag)).toBe(false);
    expect(noneMatch('W/"x", W/"y"', etag)).toBe(false);
    expect(noneMatch(undefined, etag)).toBe(false);
    expect(noneMatch('', etag)).toBe(false);
  });
});
