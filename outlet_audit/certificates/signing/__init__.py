"""Digital signatures of certificate PDFs (PAdES, made with pyHanko), and checking a PDF anyone shows us.

The seal printed on a certificate is a picture anyone can copy; the signature is what makes the
file tamper-evident. Each certificate PDF is signed by the organisation that issued it
(`Certificate.issuer`), with a PAdES baseline B-B signature covering the whole file: change one
byte and the signature no longer verifies. The public verification page checks an uploaded file
against the signature and against the SHA-256 of the document kept when it was issued.

Keys and certificates live in one folder, `SIGNING_DIR` (default `<instance>/signing`), files
named by the organisation's `code` (accounts/organisations.py):

    root.cert.pem       the trust roots (one or more PEM certificates): a signature counts only
                        when its signer's chain ends at one of them
    chain.pem           optional: intermediate CA certificates between the roots and the signers
    <code>.key.pem      an organisation's private key, PEM (PKCS#8 or traditional); encrypted ones
                        are read with the passphrase in SIGNING_KEY_PASSPHRASE
    <code>.cert.pem     its signing certificate, PEM (key usage: non-repudiation or digital signature)
    root.key.pem        only in a development chain (`flask signing dev-chain`): the development
                        root's key, so the command can add organisations later. Never in production.

An organisation without its two files cannot issue: approving the application is refused with a
message saying whose key is missing (keys.py). Modules: keys (reading the folder), pades (signing
and validating bytes), dev_chain (a self-signed development chain), documents (the certificate's
signed document: kept at issue, served, checked when uploaded), cli (`flask signing ...`).
"""
