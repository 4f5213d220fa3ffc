"""The enterprise's own channel (企业码): pages an enterprise opens with its code, on its
own phone and without an account — its problems and their progress, its contacts in
government, the policies that fit it, and a form to raise a problem — and the
coordinator's pages that keep, rotate and print the codes."""
