"""The lab's OpenShift components, one file each."""
