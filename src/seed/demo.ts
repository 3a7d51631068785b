// A small set of demo events loaded into an empty database, so a new user sees something.
import type { CreateEventInput, EventsService } from '../modules/events/events.service.js';

const DAY = 24 * 3600 * 1000;

function at(daysFromNow: number, hour: number): string {
  const date = new Date(Date.now() + daysFromNow * DAY);
  date.setUTCHours(hour, 0, 0, 0);
  return date.toISOString();
}

export function demoEvents(): CreateEventInput[] {
  return [
    {
      name: 'Aurora Nights: Live in Concert',
      description: 'An evening of synth-pop under the big roof, with support acts from 19:00.',
      category: 'music',
      venue: { name: 'Harbour Arena', city: 'Lisbon', address: 'Rua do Porto 1' },
      startsAt: at(14, 20),
      endsAt: at(14, 23),
      ticketTypes: [
        { name: 'Standing', priceCents: 4500, currency: 'EUR', capacity: 800 },
        { name: 'Seated', priceCents: 6900, currency: 'EUR', capacity: 300 },
        { name: 'VIP', priceCents: 14900, currency: 'EUR', capacity: 40 },
      ],
    },
    {
      name: 'TypeScript Summit 2027',
      description: 'Two tracks of talks on types, runtimes and tooling; lunch included.',
      category: 'conference',
      venue: { name: 'Congress Center', city: 'Berlin', address: 'Alexanderstraße 11' },
      startsAt: at(30, 9),
      endsAt: at(30, 18),
      maxTicketsPerUser: 4,
      ticketTypes: [
        { name: 'Early bird', priceCents: 19900, currency: 'EUR', capacity: 150 },
        { name: 'Regular', priceCents: 29900, currency: 'EUR', capacity: 350 },
      ],
    },
    {
      name: 'City Marathon Expo',
      description: 'Gear, talks and bib pick-up for the weekend marathon.',
      category: 'sports',
      venue: { name: 'Exhibition Hall 3', city: 'London', address: 'ExCeL, Royal Victoria Dock' },
      startsAt: at(7, 10),
      ticketTypes: [{ name: 'Entry', priceCents: 0, currency: 'GBP', capacity: 2000 }],
    },
    {
      name: 'Hamlet at the Old Vic',
      description: 'A new staging of the classic, three hours with one interval.',
      category: 'theatre',
      venue: { name: 'The Old Vic', city: 'London', address: 'The Cut' },
      startsAt: at(10, 19),
      holdTtlSeconds: 600,
      ticketTypes: [
        { name: 'Stalls', priceCents: 6500, currency: 'GBP', capacity: 400 },
        { name: 'Balcony', priceCents: 3500, currency: 'GBP', capacity: 250 },
      ],
    },
    {
      name: 'Jazz on the Roof',
      description: 'Quartet sets at sunset with a view over the river.',
      category: 'music',
      venue: { name: 'Skyline Terrace', city: 'Lisbon' },
      startsAt: at(3, 19),
      maxTicketsPerUser: 6,
      ticketTypes: [{ name: 'General admission', priceCents: 2500, currency: 'EUR', capacity: 120 }],
    },
    {
      name: 'Comedy Late Show',
      description: 'Five comedians, one microphone, no mercy.',
      category: 'comedy',
      venue: { name: 'Basement Club', city: 'Berlin' },
      startsAt: at(5, 21),
      ticketTypes: [{ name: 'Seat', priceCents: 1800, currency: 'EUR', capacity: 90 }],
    },
  ];
}

/** Loads the demo events when there are no events at all; returns how many it created. */
export async function seedDemoEvents(
  events: EventsService,
  count: () => Promise<number>,
  adminId: string | null,
) {
  if ((await count()) > 0) return 0;
  const inputs = demoEvents();
  for (const input of inputs) await events.create(input, adminId);
  return inputs.length;
}
