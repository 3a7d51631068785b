// Routes of the web app. Admin pages (and recharts with them) load on demand.
import { lazy, Suspense } from 'react';
import { BrowserRouter, Route, Routes } from 'react-router';
import { AuthProvider } from './auth/AuthContext.tsx';
import { Layout } from './components/Layout.tsx';
import { RequireAdmin, RequireAuth } from './components/RequireAuth.tsx';
import { Loading } from './components/Status.tsx';
import { LoginPage, SignupPage } from './pages/AuthPages.tsx';
import { BookingPage } from './pages/BookingPage.tsx';
import { EventPage } from './pages/EventPage.tsx';
import { EventsPage } from './pages/EventsPage.tsx';
import { MyBookingsPage } from './pages/MyBookingsPage.tsx';
import { NotFoundPage } from './pages/NotFoundPage.tsx';

const AdminEventsPage = lazy(() =>
  import('./pages/admin/AdminEventsPage.tsx').then((m) => ({ default: m.AdminEventsPage })),
);
const EventFormPage = lazy(() =>
  import('./pages/admin/EventFormPage.tsx').then((m) => ({ default: m.EventFormPage })),
);
const AnalyticsPage = lazy(() =>
  import('./pages/admin/AnalyticsPage.tsx').then((m) => ({ default: m.AnalyticsPage })),
);

export function App() {
  return (
    <BrowserRouter>
      <AuthProvider>
        <Layout>
          <Suspense fallback={<Loading />}>
            <Routes>
              <Route path="/" element={<EventsPage />} />
              <Route path="/events/:id" element={<EventPage />} />
              <Route path="/login" element={<LoginPage />} />
              <Route path="/signup" element={<SignupPage />} />
              <Route
                path="/bookings"
                element={
                  <RequireAuth>
                    <MyBookingsPage />
                  </RequireAuth>
                }
              />
              <Route
                path="/bookings/:id"
                element={
                  <RequireAuth>
                    <BookingPage />
                  </RequireAuth>
                }
              />
              <Route
                path="/admin"
                element={
                  <RequireAdmin>
                    <AdminEventsPage />
                  </RequireAdmin>
                }
              />
              <Route
                path="/admin/events/new"
                element={
                  <RequireAdmin>
                    <EventFormPage />
                  </RequireAdmin>
                }
              />
              <Route
                path="/admin/events/:id/edit"
                element={
                  <RequireAdmin>
                    <EventFormPage />
                  </RequireAdmin>
                }
              />
              <Route
                path="/admin/analytics"
                element={
                  <RequireAdmin>
                    <AnalyticsPage />
                  </RequireAdmin>
                }
              />
              <Route path="*" element={<NotFoundPage />} />
            </Routes>
          </Suspense>
        </Layout>
      </AuthProvider>
    </BrowserRouter>
  );
}
