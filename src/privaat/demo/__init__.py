"""What ``privaat demo`` adds to the app: a Flexibelt example site that uses the cookie banner,
and stand-in third parties (analytics, a social network) on origins of their own."""
