// Turns any failure into a sentence a buyer or admin can act on, chosen by the error code.
import { ApiError } from './client.ts';

export interface ErrorText {
  message: string;
  /** Field-level problems (VALIDATION_FAILED), already phrased for display. */
  items: string[];
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function waitText(seconds: number | null): string {
  if (seconds === null || seconds <= 0) return 'Please wait a moment and try again.';
  if (seconds < 90) return `Please try again in ${plural(seconds, 'second', 'seconds')}.`;
  return `Please try again in ${plural(Math.ceil(seconds / 60), 'minute', 'minutes')}.`;
}

/** "ticketTypes.0.priceCents" -> "ticket types #1 price cents". */
function humanField(path: string): string {
  const words = path
    .replace(/^\/?(body|query|params|headers)[./]?/, '')
    .split(/[./]/)
    .filter(Boolean)
    .map((part) =>
      /^\d+$/.test(part) ? `#${Number(part) + 1}` : part.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase(),
    );
  return words.join(' ') || 'input';
}

/** VALIDATION_FAILED details come in a few reasonable shapes; accept all of them. */
export function validationItems(details: unknown): string[] {
  if (!details) return [];
  const list = Array.isArray(details)
    ? details
    : typeof details === 'object'
      ? ((details as Record<string, unknown>).fields ??
        (details as Record<string, unknown>).errors ??
        (details as Record<string, unknown>).issues ??
        details)
      : null;
  if (Array.isArray(list)) {
    return list
      .map((entry) => {
        if (typeof entry === 'string') return entry;
        if (entry && typeof entry === 'object') {
          const e = entry as Record<string, unknown>;
          const field = e.field ?? e.path ?? e.instancePath ?? e.name;
          const message = e.message ?? e.reason ?? 'is invalid';
          return field ? `${humanField(String(field))}: ${String(message)}` : String(message);
        }
        return '';
      })
      .filter(Boolean);
  }
  if (list && typeof list === 'object') {
    return Object.entries(list as Record<string, unknown>).map(([field, message]) => {
      const text = Array.isArray(message)
        ? message.join(', ')
        : typeof message === 'string'
          ? message
          : 'is invalid';
      return `${humanField(field)}: ${text}`;
    });
  }
  return [];
}

function detailNumber(details: unknown, key: string): number | null {
  if (!details || typeof details !== 'object') return null;
  const value = (details as Record<string, unknown>)[key];
  return typeof value === 'number' ? value : null;
}

export function describeError(error: unknown): ErrorText {
  if (!(error instanceof ApiError)) {
    return { message: 'Something went wrong on this page. Please reload and try again.', items: [] };
  }
  const { code, details } = error;
  const simple = (message: string): ErrorText => ({ message, items: [] });
  switch (code) {
    case 'SOLD_OUT':
      return simple('Sorry, these tickets are sold out.');
    case 'INSUFFICIENT_AVAILABILITY': {
      const available = detailNumber(details, 'available');
      if (available === null)
        return simple('There are not enough tickets left for that many. Try a smaller quantity.');
      if (available === 0) return simple('Sorry, these tickets are sold out.');
      return simple(
        `Only ${plural(available, 'ticket is', 'tickets are')} left. Please choose ${available} or fewer.`,
      );
    }
    case 'TICKET_LIMIT_EXCEEDED': {
      const max = detailNumber(details, 'maxTicketsPerUser') ?? detailNumber(details, 'limit');
      const already = detailNumber(details, 'alreadyHeld') ?? 0;
      if (max === null)
        return simple('That would take you over the ticket limit for this event. Choose fewer tickets.');
      const left = Math.max(0, max - already);
      if (already > 0 && left === 0) {
        return simple(
          `You already have ${plural(already, 'ticket', 'tickets')} for this event, the most one person can have.`,
        );
      }
      return simple(
        already > 0
          ? `You can have at most ${plural(max, 'ticket', 'tickets')} for this event and already have ${already}, so you can add ${left} more.`
          : `You can have at most ${plural(max, 'ticket', 'tickets')} for this event.`,
      );
    }
    case 'HOLD_EXPIRED':
      return simple('Your hold has expired and the tickets were released. Please start again.');
    case 'PAYMENT_DECLINED':
      return simple('Your card was declined. Nothing was charged; try another card.');
    case 'EVENT_NOT_BOOKABLE':
      return simple(
        'This event cannot be booked right now: it has started, was cancelled or is not on sale yet.',
      );
    case 'EVENT_NOT_EDITABLE':
      return simple('This event was cancelled and can no longer be changed.');
    case 'INVALID_BOOKING_STATE':
      return simple('This booking can no longer be changed that way. Reload to see its current state.');
    case 'EMAIL_TAKEN':
      return simple('An account with this email already exists. Log in instead, or use another email.');
    case 'INVALID_CREDENTIALS':
      return simple('That email and password do not match. Please check them and try again.');
    case 'VALIDATION_FAILED': {
      const items = validationItems(details);
      return {
        message: 'Some of the details are not valid. Please check them:',
        items: items.length ? items : [error.message],
      };
    }
    case 'RATE_LIMITED':
      return simple(`Too many attempts in a short time. ${waitText(error.retryAfterSeconds)}`);
    case 'VERSION_CONFLICT':
      return simple(
        'Someone else changed this event while you were editing. Reload it to see the latest version, then make your changes again.',
      );
    case 'CAPACITY_BELOW_SOLD': {
      const taken = detailNumber(details, 'heldOrSold');
      return simple(
        taken === null
          ? 'A capacity cannot go below the tickets already sold or held. Choose a larger number.'
          : `A capacity cannot go below the ${plural(taken, 'ticket', 'tickets')} already sold or held. Choose ${taken} or more.`,
      );
    }
    case 'IDEMPOTENCY_IN_PROGRESS':
      return simple('We are still working on your previous request. Please wait a moment.');
    case 'IDEMPOTENCY_KEY_REUSED':
      return simple('This request was already sent with different details. Please try again.');
    case 'UNAUTHENTICATED':
    case 'SESSION_EXPIRED':
      return simple('Your session has ended. Please log in again.');
    case 'FORBIDDEN':
      return simple('You do not have permission to do that.');
    case 'EVENT_NOT_FOUND':
      return simple('We could not find this event. It may have been removed.');
    case 'BOOKING_NOT_FOUND':
      return simple('We could not find this booking in your account.');
    case 'TICKET_TYPE_NOT_FOUND':
      return simple('That ticket type no longer exists. Reload the event and choose again.');
    case 'NETWORK_ERROR':
      return simple('We could not reach Evently. Check your connection and try again.');
    case 'PAYLOAD_TOO_LARGE':
      return simple('That is too much data to send at once.');
    case 'SERVICE_UNAVAILABLE':
      return simple(`Evently is busy right now. ${waitText(error.retryAfterSeconds)}`);
    default:
      break;
  }
  if (code.endsWith('_NOT_FOUND')) return simple('We could not find what you were looking for.');
  if (error.status === 429) return simple(`Too many requests. ${waitText(error.retryAfterSeconds)}`);
  if (error.status === 503) return simple(`Evently is busy right now. ${waitText(error.retryAfterSeconds)}`);
  if (error.status >= 500) return simple('Something went wrong on our side. Please try again in a moment.');
  return simple('That did not work. Please check your input and try again.');
}
