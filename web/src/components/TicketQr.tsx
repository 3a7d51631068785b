// A ticket with its code as a QR image. The qrcode library loads only when tickets are shown.
import { useEffect, useState } from 'react';
import type { Booking, Ticket } from '../api/types.ts';
import { formatDateTime } from '../lib/format.ts';

function QrImage({ code }: { code: string }) {
  const [src, setSrc] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let active = true;
    import('qrcode')
      .then((mod) => {
        // CommonJS interop: the API sits on the default export in the bundle.
        const QRCode = mod.default ?? mod;
        return QRCode.toDataURL(code, { margin: 1, width: 320, errorCorrectionLevel: 'M' });
      })
      .then((url) => {
        if (active) setSrc(url);
      })
      .catch(() => {
        if (active) setFailed(true);
      });
    return () => {
      active = false;
    };
  }, [code]);
  if (failed) return <p className="qr-fallback">QR code unavailable: show the code below at the door.</p>;
  if (!src) return <div className="qr-placeholder" aria-hidden="true" />;
  return <img className="qr" src={src} width={160} height={160} alt={`QR code for ticket ${code}`} />;
}

export function TicketCard({ ticket, booking, index }: { ticket: Ticket; booking: Booking; index: number }) {
  return (
    <li className="ticket">
      <div className="ticket-info">
        <p className="eyebrow">
          Ticket {index + 1} of {booking.tickets.length}
        </p>
        <h3>{booking.event.name}</h3>
        <p className="muted">
          <time dateTime={booking.event.startsAt}>{formatDateTime(booking.event.startsAt)}</time>
        </p>
        <p className="muted">
          {booking.event.venue.name}, {booking.event.venue.city}
        </p>
        <p className="ticket-code">
          <span className="sr-only">Ticket code: </span>
          <code>{ticket.code}</code>
        </p>
      </div>
      <div className="ticket-qr">
        <QrImage code={ticket.code} />
      </div>
    </li>
  );
}
