// Cached public browsing: list and detail responses kept for at most one second per process,
// served with ETag/304 and a short Cache-Control. Admin edits clear the cache here at once and
// in every other process through the events signal (see AppContext.eventChanged).
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

const TTL_MS = 1000;
const MAX_ENTRIES = 5000;

interface Entry {
  at: number;
  generation: number;
  value: Promise<{ body: string; etag: string }>;
}

/**
 * If-None-Match as RFC 9110 reads it: `*` or a list of entity tags, compared weakly (a cache or
 * CDN may send every copy it holds, and may strip or add the `W/`).
 */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  const mine = opaque(etag);
  return header.split(',').some((tag) => opaque(tag) === mine);
}

export class BrowseCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;

  async serve(request: FastifyRequest, reply: FastifyReply, load: () => Promise<unknown>): Promise<void> {
    const key = request.url;
    const now = Date.now();
    let entry = this.entries.get(key);
    if (entry && (now - entry.at >= TTL_MS || entry.generation !== this.generation)) entry = undefined;
    if (!entry) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      const value = load().then((data) => {
        const body = JSON.stringify(data);
        return { body, etag: `W/"${createHash('sha1').update(body).digest('base64url')}"` };
      });
      entry = { at: now, generation: this.generation, value };
      this.entries.set(key, entry);
      // Errors (404, 400) are not cached: the next request asks again.
      value.catch(() => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      });
    }
    const { body, etag } = await entry.value;
    reply.header('ETag', etag).header('Cache-Control', 'public, max-age=1');
    if (noneMatch(request.headers['if-none-match'], etag)) reply.status(304).send();
    else reply.type('application/json; charset=utf-8').send(body);
  }

  /** Drops every cached page of this process (other processes hear of it through the events signal). */
  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}
