import type { ReactNode } from "react";

export const metadata = { title: "session-ledger on Next.js" };

// No web fonts: `next build` must not need the network.
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
