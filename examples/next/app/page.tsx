export default function Home() {
  return (
    <main>
      <h1>session-ledger on Next.js</h1>
      <p>
        The admin routes of every dialect answer under <code>/api/admin</code>, for example{" "}
        <code>/api/admin/node/api/users/session/log</code> with the API key.
      </p>
    </main>
  );
}
