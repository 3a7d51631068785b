// Counts a hold down to its expiry (mm:ss). The visible timer is silent for screen readers;
// a separate live region announces a few milestones so they are not flooded every second.
import { useEffect, useRef, useState } from 'react';
import { serverNow } from '../api/client.ts';
import { formatCountdown } from '../lib/format.ts';

const MILESTONES = [300, 120, 60, 30, 10];

function milestoneText(seconds: number): string {
  return seconds >= 60
    ? `${seconds / 60} ${seconds === 60 ? 'minute' : 'minutes'} left to pay.`
    : `${seconds} seconds left to pay.`;
}

/** Whole seconds until `expiresAt` on the server's clock; null while there is no deadline. */
export function useSecondsLeft(expiresAt: string | null): number | null {
  const target = expiresAt ? Date.parse(expiresAt) : Number.NaN;
  const [now, setNow] = useState(serverNow);
  useEffect(() => {
    if (Number.isNaN(target)) return;
    setNow(serverNow());
    const timer = setInterval(() => {
      const current = serverNow();
      setNow(current);
      if (current >= target) clearInterval(timer);
    }, 250);
    return () => clearInterval(timer);
  }, [target]);
  // A `now` older than the deadline's arrival only overestimates, so a hold never lapses early.
  return Number.isNaN(target) ? null : Math.max(0, Math.ceil((target - now) / 1000));
}

export function Countdown({ secondsLeft, totalSeconds }: { secondsLeft: number; totalSeconds: number }) {
  const [announcement, setAnnouncement] = useState('');
  const announced = useRef(new Set<number>());

  useEffect(() => {
    const milestone = MILESTONES.find(
      (m) => secondsLeft <= m && secondsLeft > m - 3 && !announced.current.has(m),
    );
    if (milestone !== undefined && secondsLeft > 0) {
      announced.current.add(milestone);
      setAnnouncement(milestoneText(milestone));
    }
  }, [secondsLeft]);

  const fraction = totalSeconds > 0 ? Math.min(1, secondsLeft / totalSeconds) : 0;
  const urgent = secondsLeft <= 60;
  return (
    <div className={urgent ? 'countdown urgent' : 'countdown'}>
      <div className="countdown-row">
        <span className="countdown-label" id="countdown-label">
          Tickets held for you
        </span>
        <span
          className="countdown-time"
          role="timer"
          aria-labelledby="countdown-label"
          data-testid="countdown"
        >
          {formatCountdown(secondsLeft)}
        </span>
      </div>
      <div className="countdown-bar" aria-hidden="true">
        <span style={{ transform: `scaleX(${fraction})` }} />
      </div>
      <p className="sr-only" aria-live="polite">
        {announcement}
      </p>
    </div>
  );
}
