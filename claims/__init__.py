"""The claim checks, one file per paper claim. In a checkout: `pytest claims/`; installed (as the
package `repro_claims`): `pytest --pyargs repro_claims`."""
