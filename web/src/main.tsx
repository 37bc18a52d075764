import { lazy, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import Layout from './components/Layout';
import { Loading } from './components/Status';
import Home from './pages/Home';
import NotFound from './pages/NotFound';
import Projects from './pages/Projects';
import './styles.css';

// The first page (home or the project search) ships without ECharts; the other pages and the
// charting library load on demand.
const Project = lazy(() => import('./pages/Project'));
const BatchPage = lazy(() => import('./pages/Batch'));
const CertificatePage = lazy(() => import('./pages/Certificate'));
const Market = lazy(() => import('./pages/Market'));
const Statistics = lazy(() => import('./pages/Statistics'));

function preferredLang(): 'ja' | 'en' {
  const langs = navigator.languages?.length ? navigator.languages : [navigator.language];
  const first = (langs[0] ?? 'ja').toLowerCase();
  return first.startsWith('ja') ? 'ja' : first.startsWith('en') ? 'en' : 'ja';
}

function App() {
  return (
    <BrowserRouter>
      <Suspense fallback={<Loading />}>
        <Routes>
          <Route path="/" element={<Navigate to={`/${preferredLang()}`} replace />} />
          <Route path="/:lang" element={<Layout />}>
            <Route index element={<Home />} />
            <Route path="projects" element={<Projects />} />
            <Route path="projects/:projectId" element={<Project />} />
            <Route path="batches/:batchId" element={<BatchPage />} />
            <Route path="certificates/:certificateId" element={<CertificatePage />} />
            <Route path="market" element={<Market />} />
            <Route path="statistics" element={<Statistics />} />
            <Route path="*" element={<NotFound />} />
          </Route>
        </Routes>
      </Suspense>
    </BrowserRouter>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
